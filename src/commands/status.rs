//! `cbctl status [--json]`: what the stack's projects and pipelines last did. Reads
//! only the projects and pipelines the file declares.

use super::session::{connect, load, out_style};
use super::{Cli, ExitStatus, Outcome};
use crate::engine::Backend;
use crate::ui::status::{status_json, status_text, Status};

pub async fn run(cli: &Cli, json: bool) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let clients = connect(&loaded, cli).await?;
    let projects = loaded.file.projects.keys().map(|k| k.get_ref().clone()).collect();
    let pipelines = loaded.file.pipelines.keys().map(|k| k.get_ref().clone()).collect();
    let (builds, executions) = tokio::join!(clients.latest_builds(projects), clients.latest_executions(pipelines));
    let status = Status { builds: builds?, executions: executions? };
    if json {
        println!("{}", serde_json::to_string_pretty(&status_json(&status)).unwrap_or_default());
    } else {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        print!("{}", status_text(&status, now, out_style(cli)));
    }
    Ok(ExitStatus::Success)
}
