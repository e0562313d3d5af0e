//! `cbctl logs project.NAME [--build ID] [--follow]`: a build's CloudWatch log, the
//! project's latest build unless one is named; `--follow` keeps printing until the build
//! ends (Ctrl-C stops following, never the build).

use super::follow::{interrupted, owned, poll_interval, Named};
use super::session::{connect, load};
use super::{Cli, Error, ExitStatus, Outcome};
use crate::engine::watch::{BuildEvent, BuildFollower, LogCursor, Runner};

pub async fn run(cli: &Cli, address: &str, build: Option<&str>, follow: bool) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let Named::Project(project) = Named::parse(&loaded, address, &["project"])? else {
        return Err(Error::Message(vec!["cbctl logs reads a project's build log".to_string()]));
    };
    if let Some(id) = build.filter(|id| !id.starts_with(&format!("{project}:"))) {
        return Err(Error::hinted(format!("build '{id}' is not a build of project.{project}"), format!("its builds' ids start with '{project}:'")));
    }
    let poll = poll_interval()?;
    let clients = connect(&loaded, cli).await?;
    owned(&loaded, &clients, "project", &project).await?;
    let id = match build {
        Some(id) => id.to_string(),
        None => clients
            .latest_build(&project)
            .await?
            .ok_or_else(|| Error::hinted(format!("project.{project} has no build yet"), format!("start one with `cbctl run project.{project}`")))?,
    };
    let found = clients.build(&id).await?.ok_or_else(|| Error::Message(vec![format!("CodeBuild has no build '{id}'")]))?;
    let Some(log) = found.log.clone() else {
        return Err(Error::hinted(
            format!("build {id} wrote no CloudWatch log"),
            format!("project.{project} has CloudWatch logs turned off (`logs`)"),
        ));
    };
    // Only the log: phases and the live line are `run`'s.
    let mut print = |e: BuildEvent| {
        if let BuildEvent::Log(line) = e {
            println!("{line}");
        }
    };
    if follow && !found.complete {
        let mut follower = BuildFollower::default();
        if interrupted(follower.follow(&clients, &id, poll, &mut print)).await.transpose()?.is_none() {
            eprintln!("stopped following; build {id} goes on");
        }
    } else {
        LogCursor::default().drain(&clients, &log, &mut print).await?;
    }
    Ok(ExitStatus::Success)
}
