//! Builds that start themselves and tell people (issue 14): a project's webhook, its
//! schedule (an EventBridge rule with its own role), SNS topics and CodeStar Notifications
//! rules, each checked through the emulator's API; drift put back; destroy removes all of
//! it and nothing of another stack; and what CreateWebhook would refuse half way through
//! an apply said at plan time instead.

use serde_json::Value;

use crate::harness::{list, parliament_findings, statement, Aws, Stack, ACCOUNT, REGION};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pr-builder");

fn pr_builder() -> Stack {
    let text = std::fs::read_to_string(format!("{EXAMPLE}/cbctl.toml")).unwrap();
    let s = Stack::new(&text);
    s.write("buildspec.yml", &std::fs::read_to_string(format!("{EXAMPLE}/buildspec.yml")).unwrap());
    s
}

/// What an operator does once per account and region: give CodeBuild a GitHub token.
pub async fn import_github_token(aws: &Aws) {
    use aws_sdk_codebuild::types::{AuthType, ServerType};
    aws.codebuild
        .import_source_credentials()
        .server_type(ServerType::Github)
        .auth_type(AuthType::PersonalAccessToken)
        .token("ghp_exampletoken0123456789")
        .send()
        .await
        .unwrap();
}

/// The webhook's filter groups as CodeBuild holds them: each group's filters as
/// `[not ]TYPE pattern`, sorted.
fn filter_groups(p: &aws_sdk_codebuild::types::Project) -> Vec<Vec<String>> {
    let hook = p.webhook().expect("a webhook");
    hook.filter_groups()
        .iter()
        .map(|g| {
            let mut v: Vec<String> = g
                .iter()
                .map(|f| format!("{}{} {}", if f.exclude_matched_pattern() == Some(true) { "not " } else { "" }, f.r#type().as_str(), f.pattern()))
                .collect();
            v.sort();
            v
        })
        .collect()
}

/// The notification rules of the region, described.
async fn notification_rules(aws: &Aws) -> Vec<aws_sdk_codestarnotifications::operation::describe_notification_rule::DescribeNotificationRuleOutput> {
    let listed = aws.notifications.list_notification_rules().send().await.unwrap();
    let mut out = Vec::new();
    for r in listed.notification_rules() {
        out.push(aws.notifications.describe_notification_rule().arn(r.arn().unwrap()).send().await.unwrap());
    }
    out
}

async fn topic_policy(aws: &Aws, name: &str) -> Value {
    let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}");
    let attrs = aws.sns.get_topic_attributes().topic_arn(arn).send().await.unwrap();
    serde_json::from_str(attrs.attributes().unwrap().get("Policy").unwrap()).unwrap()
}

#[test]
fn without_github_credentials_the_plan_says_what_to_do_and_nothing_is_made() {
    let s = pr_builder();
    let o = s.ok(&["apply", "--auto-approve"], 1);
    assert!(o.stderr.contains("holds no GITHUB credentials in this account and region"), "{}", o.stderr);
    assert!(o.stderr.contains("aws codebuild import-source-credentials --server-type GITHUB"), "{}", o.stderr);
    assert!(o.stderr.contains("cbctl.toml:"), "the message points at the project: {}", o.stderr);
    let aws = s.aws();
    assert!(s.block_on(aws.project_names()).is_empty(), "nothing was made");
    // With a connection, no source credentials are needed.
    let with_connection = std::fs::read_to_string(format!("{EXAMPLE}/cbctl.toml"))
        .unwrap()
        .replace("branch = \"main\"", "branch = \"main\"\nconnection = \"arn:aws:codeconnections:us-east-1:123456789012:connection/abc\"");
    s.write("cbctl.toml", &with_connection);
    let o = s.ok(&["plan"], 0);
    assert!(!o.stderr.contains("credentials"), "{}", o.stderr);
}

#[test]
fn the_pr_builder_example_starts_builds_on_pull_requests_and_nightly_and_notifies() {
    let s = pr_builder();
    let aws = s.aws();
    s.block_on(import_github_token(&aws));
    let o = s.ok(&["apply", "--auto-approve"], 0);
    // A fresh account: AWS makes the notifications service-linked role with the first rule.
    assert!(o.stderr.contains("waiting for the CodeStar Notifications service-linked role"), "{}", o.stderr);

    let p = s.block_on(aws.project("webapp")).unwrap();
    assert_eq!(
        filter_groups(&p),
        [
            vec!["BASE_REF ^refs/heads/main$", "EVENT PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED"],
            vec!["EVENT PUSH", "HEAD_REF ^refs/heads/main$", "not FILE_PATH ^docs/"],
        ]
    );
    assert_eq!(p.webhook().unwrap().build_type().map(|t| t.as_str()), Some("BUILD"));
    assert_eq!(p.source().unwrap().report_build_status(), Some(true));

    // The schedule: a rule targeting the project through a role that may start only it.
    let rule = s.block_on(aws.events.describe_rule().name("pr-builder-schedule-webapp").send()).unwrap();
    assert_eq!(rule.schedule_expression(), Some("cron(0 3 * * ? *)"));
    let targets = s.block_on(aws.events.list_targets_by_rule().rule("pr-builder-schedule-webapp").send()).unwrap();
    let project_arn = format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/webapp");
    assert_eq!(targets.targets()[0].arn(), project_arn);
    assert_eq!(targets.targets()[0].role_arn(), Some(format!("arn:aws:iam::{ACCOUNT}:role/cbctl/pr-builder/pr-builder-schedule-webapp").as_str()));
    let doc = s.block_on(aws.role_policy("pr-builder-schedule-webapp")).unwrap();
    assert_eq!(doc["Statement"].as_array().unwrap().len(), 1, "{doc}");
    let start = statement(&doc, "StartOwnProject");
    assert_eq!((list(&start["Action"]), list(&start["Resource"])), (vec!["codebuild:StartBuild".to_string()], vec![project_arn.clone()]));
    assert_eq!(parliament_findings(&doc), Vec::<String>::new());

    // The topic: open to CodeStar Notifications only; the team's address waits for its mail.
    let topic_arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:ci-alerts");
    let policy = s.block_on(topic_policy(&aws, "ci-alerts"));
    let publish = statement(&policy, "CodeStarNotificationsPublish");
    assert_eq!(publish["Principal"]["Service"], "codestar-notifications.amazonaws.com");
    assert_eq!((list(&publish["Action"]), list(&publish["Resource"])), (vec!["sns:Publish".to_string()], vec![topic_arn.clone()]));
    assert_eq!(policy["Statement"].as_array().unwrap().len(), 1);
    let subs = s.block_on(aws.sns.list_subscriptions_by_topic().topic_arn(&topic_arn).send()).unwrap();
    let subs: Vec<(&str, &str)> = subs.subscriptions().iter().map(|x| (x.endpoint().unwrap(), x.subscription_arn().unwrap())).collect();
    assert_eq!(subs, [("team@example.com", "PendingConfirmation")]);

    // The notification rule: the two events, to the topic, which it can reach.
    let rules = s.block_on(notification_rules(&aws));
    assert_eq!(rules.len(), 1);
    let r = &rules[0];
    assert_eq!((r.name(), r.resource()), (Some("pr-builder-project-webapp"), Some(project_arn.as_str())));
    let mut events: Vec<&str> = r.event_types().iter().filter_map(|e| e.event_type_id()).collect();
    events.sort();
    assert_eq!(events, ["codebuild-project-build-state-failed", "codebuild-project-build-state-succeeded"]);
    let targets: Vec<(&str, &str)> =
        r.targets().iter().map(|t| (t.target_address().unwrap(), t.target_status().map_or("", |x| x.as_str()))).collect();
    assert_eq!(targets, [(topic_arn.as_str(), "ACTIVE")]);
    assert_eq!(r.tags().unwrap().get("cbctl:stack").map(String::as_str), Some("pr-builder"));

    s.ok(&["plan", "--detailed-exitcode"], 0);
    the_operator_may_make_exactly_this(&s, &project_arn);
    drift_is_shown_and_put_back(&s, &aws, r.arn());
    destroy_leaves_nothing_of_the_stack_and_all_of_another(&s, &aws);
}

/// The operator policy covers the webhook, the topic and the rule, scoped to the stack.
fn the_operator_may_make_exactly_this(s: &Stack, project_arn: &str) {
    let o = s.ok(&["permissions"], 0);
    let doc: Value = serde_json::from_str(&o.stdout).unwrap();
    assert!(list(&statement(&doc, "StackProjects")["Action"]).contains(&"codebuild:CreateWebhook".to_string()));
    let topics = statement(&doc, "StackTopics");
    assert_eq!(list(&topics["Resource"]), [format!("arn:aws:sns:{REGION}:{ACCOUNT}:ci-alerts")]);
    let create = statement(&doc, "CreateStackNotificationRules");
    assert_eq!(create["Condition"]["ArnEquals"]["codestar-notifications:NotificationsForResource"], project_arn);
    assert_eq!(create["Condition"]["StringEquals"]["aws:RequestTag/cbctl:stack"], "pr-builder");
    assert_eq!(statement(&doc, "StackNotificationRules")["Condition"]["StringEquals"]["aws:ResourceTag/cbctl:stack"], "pr-builder");
    assert_eq!(
        statement(&doc, "NotificationsServiceLinkedRole")["Condition"]["StringEquals"]["iam:AWSServiceName"],
        "codestar-notifications.amazonaws.com"
    );
    assert_eq!(parliament_findings(&doc), Vec::<String>::new());
}

/// Out of band: the webhook's groups replaced, the schedule switched off, the topic's
/// policy opened, an event dropped from the rule. The plan names each; apply puts it back.
fn drift_is_shown_and_put_back(s: &Stack, aws: &Aws, rule_arn: &str) {
    use aws_sdk_codebuild::types::{WebhookFilter, WebhookFilterType};
    let push_anything = vec![WebhookFilter::builder().r#type(WebhookFilterType::Event).pattern("PUSH").build().unwrap()];
    s.block_on(aws.codebuild.update_webhook().project_name("webapp").filter_groups(push_anything).send()).unwrap();
    s.block_on(aws.events.disable_rule().name("pr-builder-schedule-webapp").send()).unwrap();
    let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}]}"#;
    let topic_arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:ci-alerts");
    s.block_on(aws.sns.set_topic_attributes().topic_arn(&topic_arn).attribute_name("Policy").attribute_value(open).send()).unwrap();
    s.block_on(aws.notifications.update_notification_rule().arn(rule_arn).event_type_ids("codebuild-project-build-state-failed").send()).unwrap();

    let o = s.ok(&["plan", "--detailed-exitcode"], 2);
    for expected in [
        "webhook.filter_groups",
        "rule.pr-builder-schedule-webapp",
        "enabled",
        "topic.ci-alerts",
        "policy",
        "notification_rule.pr-builder-project-webapp",
        "codebuild-project-build-state-succeeded",
    ] {
        assert!(o.stdout.contains(expected), "{expected} missing from\n{}", o.stdout);
    }
    s.ok(&["apply", "--auto-approve"], 0);
    s.ok(&["plan", "--detailed-exitcode"], 0);
    assert_eq!(filter_groups(&s.block_on(aws.project("webapp")).unwrap()).len(), 2);
    let rule = s.block_on(aws.events.describe_rule().name("pr-builder-schedule-webapp").send()).unwrap();
    assert_eq!(rule.state().map(|x| x.as_str()), Some("ENABLED"));
    assert_eq!(
        statement(&s.block_on(topic_policy(aws, "ci-alerts")), "CodeStarNotificationsPublish")["Principal"]["Service"],
        "codestar-notifications.amazonaws.com"
    );
    let events = s.block_on(aws.notifications.describe_notification_rule().arn(rule_arn).send()).unwrap();
    assert_eq!(events.event_types().len(), 2);
}

/// Another stack's topic and notification rule, made beside this one: destroy removes
/// all of this stack (the webhook with its project) and none of that.
fn destroy_leaves_nothing_of_the_stack_and_all_of_another(s: &Stack, aws: &Aws) {
    use aws_sdk_codestarnotifications::types::Target;
    let theirs = s.block_on(aws.sns.create_topic().name("their-alerts").tags(sns_tag("other")).send()).unwrap();
    let their_topic = theirs.topic_arn().unwrap().to_string();
    let project_arn = format!("arn:aws:codebuild:{REGION}:{ACCOUNT}:project/webapp");
    let their_rule = s
        .block_on(
            aws.notifications
                .create_notification_rule()
                .name("their-rule")
                .resource(&project_arn)
                .event_type_ids("codebuild-project-build-state-failed")
                .targets(Target::builder().target_type("SNS").target_address(&their_topic).build())
                .detail_type(aws_sdk_codestarnotifications::types::DetailType::Basic)
                .tags("cbctl:stack", "other")
                .send(),
        )
        .unwrap();
    s.ok(&["destroy", "--auto-approve"], 0);
    assert!(s.block_on(aws.project("webapp")).is_none());
    assert!(s.block_on(aws.events.describe_rule().name("pr-builder-schedule-webapp").send()).is_err());
    assert!(!s.block_on(aws.role_exists("pr-builder-schedule-webapp")));
    let topics = s.block_on(aws.sns.list_topics().send()).unwrap();
    let topics: Vec<&str> = topics.topics().iter().filter_map(|t| t.topic_arn()).collect();
    assert_eq!(topics, [their_topic.as_str()], "only the other stack's topic is left");
    let rules: Vec<String> = s.block_on(notification_rules(aws)).iter().filter_map(|r| r.name().map(str::to_string)).collect();
    assert_eq!(rules, ["their-rule"]);
    assert!(s.block_on(aws.notifications.describe_notification_rule().arn(their_rule.arn().unwrap()).send()).is_ok());
}

fn sns_tag(stack: &str) -> aws_sdk_sns::types::Tag {
    aws_sdk_sns::types::Tag::builder().key("cbctl:stack").value(stack).build().unwrap()
}

#[test]
fn webhooks_schedules_and_notifications_are_checked_offline_at_their_lines() {
    let s = Stack::new(
        r#"[stack]
name = "checks"
[topics.alerts]
email = ["not-an-address"]
[projects.cc]
buildspec = "version: 0.2"
source = { type = "codecommit", repository = "r" }
schedule = "rate(1 days)"
webhook = {}
notify = { events = ["faild"], targets = ["alert"] }
[projects.gh]
buildspec = "version: 0.2"
source = { type = "github", location = "https://github.com/o/r.git" }
schedule = "cron(0 3 * * * *)"
[projects.gh.webhook]
build_type = "BUILD_BATCH"
[[projects.gh.webhook.filter_groups]]
event = "PUSH, PULL_REQUEST_OPENED"
base_ref = "^refs/heads/main$"
head_ref = "^refs/heads/(?!wip)"
[[projects.gh.webhook.filter_groups]]
head_ref = "^refs/heads/main$"
[projects.bb]
buildspec = "version: 0.2"
source = { type = "bitbucket", location = "https://bitbucket.org/o/r.git" }
[[projects.bb.webhook.filter_groups]]
event = "PULL_REQUEST_REOPENED"
[pipelines.rel]
notify = { events = ["approval-needed", "stopped"], targets = ["arn:aws:sns:us-east-1:123456789012:x", "arn:aws:s3:::b"] }
[[pipelines.rel.stages]]
name = "Source"
actions = [{ name = "Src", provider = "S3", bucket = "b", key = "k.zip", output = "src" }]
[[pipelines.rel.stages]]
name = "Approve"
actions = [{ name = "Ok", provider = "Manual" }]
"#,
    );
    let o = s.ok(&["validate"], 1);
    for (line, message) in [
        (4, "`not-an-address` is not an email address"),
        (8, "`rate(1 days)` is not an EventBridge schedule: with 1 the unit is singular (`day`)"),
        (7, "a webhook needs a `github`, `github_enterprise`, `bitbucket` or `gitlab` source"),
        (10, "`faild` is not an event of a project"),
        (10, "`alert` is not a topic of this file"),
        (14, "`cron(0 3 * * * *)` is not an EventBridge schedule: exactly one of day-of-month and day-of-week is `?`"),
        (16, "`BUILD_BATCH` needs the project's batch build settings"),
        (18, "`PULL_REQUEST_OPENED` is not an event a GitHub webhook sends"),
        (19, "a BASE_REF filter does not work with PUSH events"),
        (20, "the HEAD_REF pattern `^refs/heads/(?!wip)` is not a regular expression CodeBuild takes"),
        (21, "a filter group needs an `event`"),
        (27, "`PULL_REQUEST_REOPENED` is not an event a Bitbucket webhook sends"),
        (29, "`stopped` is not an event of a pipeline"),
        (29, "`arn:aws:s3:::b` is neither an SNS topic ARN nor an AWS Chatbot channel ARN"),
    ] {
        let at = format!("--> cbctl.toml:{line}:");
        let lines: Vec<&str> = o.stderr.lines().collect();
        let found = lines.windows(2).any(|w| w[0].contains(message) && w[1].contains(&at));
        assert!(found, "{message} (line {line}) missing from\n{}", o.stderr);
    }
}
