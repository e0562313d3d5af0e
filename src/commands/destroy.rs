//! `cbctl destroy [--auto-approve]`: delete everything the stack owns, after the stack
//! name is typed back.

use super::locked::{confirm, finish, locked, refuse_held_images, refuse_protected};
use super::session::{connect, load, out_style, session};
use super::{Cli, ExitStatus, Outcome};
use crate::ui;

pub async fn run(cli: &Cli, auto_approve: bool) -> Outcome {
    let loaded = &load(&cli.global.file)?;
    let clients = connect(loaded, cli).await?;
    let session_clients = clients.clone();
    locked(&clients, loaded.stack(), "destroy", |interrupt| async move {
        let s = session(loaded, cli, session_clients, true).await?;
        if s.plan.is_empty() {
            println!("Nothing to destroy: AWS holds no resource tagged cbctl:stack = {}.", s.plan.stack);
            return Ok(ExitStatus::Success);
        }
        print!("{}", ui::plan::plan_text(&s.plan, out_style(cli)));
        refuse_protected(loaded, &s.plan, "destroy")?;
        refuse_held_images(&s, "destroy")?;
        let question =
            format!("Do you really want to destroy everything stack `{}` owns? There is no undo.\n  Type the stack name to confirm.", s.plan.stack);
        confirm(auto_approve, "destroy", &question, &s.plan.stack)?;
        finish(&s, "Destroy", &interrupt, cli).await
    })
    .await
}
