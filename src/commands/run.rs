//! `cbctl run project.NAME | pipeline.NAME`: starts a build or a pipeline execution of
//! the stack and follows it to its end; exit 0 only when it succeeded. Ctrl-C asks
//! whether to stop it (on a terminal; elsewhere it is left running, and said so).

use super::follow::{interrupted, owned, pairs, poll_interval, Named};
use super::session::{connect, load, out_style, Loaded};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::engine::activity::{build_link, execution_link, BuildRequest};
use crate::engine::watch::{action_runs, BuildEvent, BuildFollower, Execution, ExecutionEvent, ExecutionFollower, Runner};
use crate::file::pipeline::Provider;
use crate::file::project::SourceType;
use crate::ui::watch::{build_result, execution_result, Screen};

/// What `run` was asked, as the command line gives it.
pub struct RunArgs<'a> {
    pub address: &'a str,
    pub source_version: Option<&'a str>,
    pub env: &'a [String],
    pub variables: &'a [String],
    pub no_follow: bool,
}

pub async fn run(cli: &Cli, args: RunArgs<'_>) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let named = Named::parse(&loaded, args.address, &["project", "pipeline"])?;
    let poll = poll_interval()?;
    match named {
        Named::Project(name) => {
            if !args.variables.is_empty() {
                return Err(Error::hinted(
                    "--variable sets a pipeline's variables",
                    format!("for project.{name}, set environment variables with --env K=V"),
                ));
            }
            refuse_pipeline_source(&loaded, &name)?;
            let request = BuildRequest { project: name, source_version: args.source_version.map(str::to_string), env: build_env(args.env)? };
            let clients = connect(&loaded, cli).await?;
            owned(&loaded, &clients, "project", &request.project).await?;
            run_build(cli, &clients, &request, args.no_follow, poll).await
        }
        Named::Pipeline(name) => {
            if !args.env.is_empty() || args.source_version.is_some() {
                return Err(Error::hinted(
                    "--env and --source-version apply to a project's build",
                    format!("for pipeline.{name}, set its V2 variables with --variable K=V"),
                ));
            }
            let variables = pipeline_variables(&loaded, &name, args.variables)?;
            let clients = connect(&loaded, cli).await?;
            owned(&loaded, &clients, "pipeline", &name).await?;
            run_pipeline(cli, &loaded, &clients, &name, &variables, args.no_follow, poll).await
        }
    }
}

/// A project whose source is `codepipeline` gets its input from a pipeline's artifacts:
/// started alone it would have no source, so the pipelines that build it are named.
fn refuse_pipeline_source(loaded: &Loaded, project: &str) -> Result<(), Error> {
    if !loaded.file.project(project).is_some_and(|p| *p.source.get_ref().kind.get_ref() == SourceType::Codepipeline) {
        return Ok(());
    }
    let pipelines: Vec<String> = loaded
        .file
        .pipelines
        .iter()
        .filter(|(_, p)| {
            p.stages.iter().flat_map(|s| &s.get_ref().actions).any(|a| a.get_ref().project.as_ref().is_some_and(|n| n.get_ref() == project))
        })
        .map(|(k, _)| format!("`cbctl run pipeline.{}`", k.get_ref()))
        .collect();
    let hint =
        if pipelines.is_empty() { "no pipeline of the file builds it".to_string() } else { format!("start its pipeline: {}", pipelines.join(", ")) };
    Err(Error::hinted(format!("project.{project} takes its source from a pipeline (source type codepipeline), so it cannot build on its own"), hint))
}

/// `--env K=V` as plain-text overrides; CodeBuild reserves the `CODEBUILD_` prefix.
fn build_env(given: &[String]) -> Result<Vec<(String, String)>, Error> {
    let env = pairs(given, "--env")?;
    if let Some((k, _)) = env.iter().find(|(k, _)| k.to_ascii_uppercase().starts_with("CODEBUILD_")) {
        return Err(Error::hinted(format!("--env {k}: names starting with CODEBUILD_ are reserved by CodeBuild"), "choose another name"));
    }
    Ok(env)
}

/// `--variable K=V`, each a variable the pipeline declares; those without a default must
/// be given (CodePipeline would refuse the execution).
fn pipeline_variables(loaded: &Loaded, name: &str, given: &[String]) -> Result<Vec<(String, String)>, Error> {
    let vars = pairs(given, "--variable")?;
    let declared: Vec<&crate::file::pipeline::PipelineVariableSpec> =
        loaded.file.pipeline(name).map(|p| p.variables.iter().map(|v| v.get_ref()).collect()).unwrap_or_default();
    let names: Vec<&str> = declared.iter().map(|v| v.name.get_ref().as_str()).collect();
    if let Some((k, _)) = vars.iter().find(|(k, _)| !names.contains(&k.as_str())) {
        let known = if names.is_empty() { "it declares no variables".to_string() } else { format!("it declares {}", names.join(", ")) };
        return Err(Error::hinted(
            format!("pipeline.{name} has no variable {k}: {known}"),
            "declare it under [[pipelines.NAME.variables]] (V2 pipelines)",
        ));
    }
    let missing: Vec<&str> = declared
        .iter()
        .filter(|v| v.default.is_none() && !vars.iter().any(|(k, _)| k == v.name.get_ref()))
        .map(|v| v.name.get_ref().as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::hinted(
            format!("pipeline.{name} needs a value for {} (no default)", missing.join(", ")),
            "give it with --variable NAME=VALUE",
        ));
    }
    Ok(vars)
}

async fn run_build(cli: &Cli, r: &crate::aws::Clients, request: &BuildRequest, no_follow: bool, poll: std::time::Duration) -> Outcome {
    let id = r.start_build(request).await?;
    if no_follow {
        println!("{id}");
        return Ok(ExitStatus::Success);
    }
    let style = out_style(cli);
    let mut screen = Screen::new(std::io::IsTerminal::is_terminal(&std::io::stdout()), style);
    screen.line(&format!("build {id} started"));
    let link = build_link(r.target(), &request.project, &id);
    let mut show = |e| screen.build_event(e);
    let mut follower = BuildFollower::default();
    let ended = match interrupted(follower.follow(r, &id, poll, &mut show)).await {
        Some(ended) => ended?,
        None => stop_build(r, (&request.project, &id), &mut follower, poll, &mut show).await?,
    };
    screen.clear();
    println!("{}", build_result(&ended, &link, style));
    Ok(if ended.summary.status == "SUCCEEDED" { ExitStatus::Success } else { ExitStatus::Failure })
}

/// After Ctrl-C: asks whether to stop the build; stops it and follows it to its end, or
/// says it goes on.
async fn stop_build(
    r: &crate::aws::Clients,
    (project, id): (&str, &str),
    follower: &mut BuildFollower,
    poll: std::time::Duration,
    show: &mut (dyn FnMut(BuildEvent) + Send),
) -> Result<crate::engine::activity::BuildRun, Error> {
    let goes_on = || {
        Error::hinted(
            format!("interrupted: build {id} goes on in CodeBuild"),
            format!("follow it with `cbctl logs project.{project} --build {id} --follow`"),
        )
    };
    if !super::follow::ask_to_stop(&format!("build {id}")).await {
        return Err(goes_on());
    }
    r.stop_build(id).await?;
    match interrupted(follower.follow(r, id, poll, show)).await {
        Some(ended) => Ok(ended?),
        None => Err(goes_on()),
    }
}

async fn run_pipeline(
    cli: &Cli,
    loaded: &Loaded,
    r: &crate::aws::Clients,
    name: &str,
    variables: &[(String, String)],
    no_follow: bool,
    poll: std::time::Duration,
) -> Outcome {
    // The runs each action had before: GetPipelineState keeps them until this execution
    // reaches the action.
    let before = if no_follow { Default::default() } else { action_runs(&r.pipeline_stages(name).await?) };
    let id = r.start_execution(name, variables).await?;
    if no_follow {
        println!("{id}");
        return Ok(ExitStatus::Success);
    }
    let style = out_style(cli);
    let mut screen = Screen::new(std::io::IsTerminal::is_terminal(&std::io::stdout()), style);
    screen.line(&format!("execution {id} of pipeline {name} started"));
    let is_build = |stage: &str, action: &str| is_build_action(loaded, name, stage, action);
    let execution = Execution { pipeline: name, id: &id, before, is_build: &is_build };
    let mut show = |e| screen.execution_event(e);
    let mut follower = ExecutionFollower::default();
    let status = match interrupted(follower.follow(r, &execution, poll, &mut show)).await {
        Some(status) => status?,
        None => stop_execution(r, &execution, &mut follower, poll, &mut show).await?,
    };
    screen.clear();
    println!("{}", execution_result(&id, &status, &execution_link(r.target(), name, &id), style));
    Ok(if status == "Succeeded" { ExitStatus::Success } else { ExitStatus::Failure })
}

async fn stop_execution(
    r: &crate::aws::Clients,
    e: &Execution<'_>,
    follower: &mut ExecutionFollower,
    poll: std::time::Duration,
    show: &mut (dyn FnMut(ExecutionEvent) + Send),
) -> Result<String, Error> {
    let goes_on = || {
        Error::hinted(
            format!("interrupted: execution {} of pipeline {} goes on in CodePipeline", e.id, e.pipeline),
            "`cbctl status` shows where it is",
        )
    };
    if !super::follow::ask_to_stop(&format!("execution {}", e.id)).await {
        return Err(goes_on());
    }
    r.stop_execution(e.pipeline, e.id).await?;
    match interrupted(follower.follow(r, e, poll, show)).await {
        Some(status) => Ok(status?),
        None => Err(goes_on()),
    }
}

/// Whether the file declares that action as a CodeBuild one (its failure shows its log).
fn is_build_action(loaded: &Loaded, pipeline: &str, stage: &str, action: &str) -> bool {
    let stages = loaded.file.pipeline(pipeline).into_iter().flat_map(|p| &p.stages).filter(|s| s.get_ref().name.get_ref() == stage);
    let mut actions = stages.flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref());
    actions.any(|a| a.name.get_ref() == action && *a.provider.get_ref() == Provider::CodeBuild)
}
