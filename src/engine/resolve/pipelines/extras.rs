//! What CodeBuild projects need because pipelines run them: the pipeline's artifacts,
//! the variables a CodeBuild action reads, and the repositories of `CODEBUILD_CLONE_REF`
//! sources the project clones itself.

use std::collections::BTreeMap;

use crate::engine::policy::{self, Origin};
use crate::file::pipeline::{ActionSpec, PipelineSpec, Provider};
use crate::model::names::repository_arn;
use crate::model::Target;

/// What a project needs because pipelines run it.
#[derive(Debug, Default, Clone)]
pub struct ProjectExtras {
    pub artifact_read: Vec<String>,
    pub artifact_write: Vec<String>,
    pub parameter_arns: Vec<String>,
    pub secret_arns: Vec<String>,
    /// The repositories and connections of `CODEBUILD_CLONE_REF` sources it clones.
    pub clone_repository_arns: Vec<String>,
    pub clone_connection_arns: Vec<String>,
    /// Why the project's role needs each of these, for `permissions --explain`.
    pub origins: Vec<Origin>,
}

impl ProjectExtras {
    /// The grants, in words, for a role cbctl does not generate.
    pub fn needs(&self) -> Vec<String> {
        let mut needs = Vec::new();
        let read = policy::sorted(&self.artifact_read);
        let write = policy::sorted(&self.artifact_write);
        if !read.is_empty() {
            needs.push(format!("s3:GetObject and s3:GetObjectVersion on {}", read.join(", ")));
        }
        if !write.is_empty() {
            needs.push(format!("s3:PutObject on {}", write.join(", ")));
        }
        if !self.parameter_arns.is_empty() {
            needs.push(format!("ssm:GetParameters on {}", policy::sorted(&self.parameter_arns).join(", ")));
        }
        if !self.secret_arns.is_empty() {
            needs.push(format!("secretsmanager:GetSecretValue on {}", policy::sorted(&self.secret_arns).join(", ")));
        }
        if !self.clone_repository_arns.is_empty() {
            needs.push(format!("codecommit:GitPull on {}", policy::sorted(&self.clone_repository_arns).join(", ")));
        }
        if !self.clone_connection_arns.is_empty() {
            needs.push(format!("UseConnection on {}", policy::sorted(&self.clone_connection_arns).join(", ")));
        }
        needs
    }
}

/// A `CODEBUILD_CLONE_REF` source hands its consumers a reference to clone: every project
/// a CodeBuild action runs on that artifact clones the repository itself, with its own role.
pub(super) fn grant_clone_refs(t: &Target, spec: &PipelineSpec, projects: &mut BTreeMap<String, ProjectExtras>) {
    let actions: Vec<&ActionSpec> = spec.stages.iter().flat_map(|s| &s.get_ref().actions).map(|a| a.get_ref()).collect();
    // artifact → (is a CodeCommit repository, its ARN)
    let mut clone_refs: BTreeMap<String, (bool, String)> = BTreeMap::new();
    for a in actions.iter().filter(|a| a.output_format.as_ref().is_some_and(|f| f.get_ref() == "CODEBUILD_CLONE_REF")) {
        let text = |v: &Option<toml::Spanned<String>>| v.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
        let source = match a.provider.get_ref() {
            Provider::CodeCommit => (true, repository_arn(t, &text(&a.repository))),
            Provider::CodeStarSourceConnection => (false, text(&a.connection)),
            _ => continue,
        };
        for o in a.output_names() {
            clone_refs.insert(o.get_ref().clone(), source.clone());
        }
    }
    for a in actions.iter().filter(|a| *a.provider.get_ref() == Provider::CodeBuild) {
        let project = a.project.as_ref().map(|x| x.get_ref().clone()).unwrap_or_default();
        for (codecommit, arn) in a.input_names().into_iter().filter_map(|i| clone_refs.get(i.get_ref())) {
            let extras = projects.entry(project.clone()).or_default();
            extras.origins.extend(a.project.as_ref().map(|p| Origin::file(arn.clone(), p.span())));
            let arns = if *codecommit { &mut extras.clone_repository_arns } else { &mut extras.clone_connection_arns };
            if !arns.contains(arn) {
                arns.push(arn.clone());
            }
        }
    }
}
