//! `cbctl force-unlock`: remove the stack's lock left by a run that did not finish.

use super::locked::confirm;
use super::session::{connect, load};
use super::{Cli, ExitStatus, Outcome};
use crate::engine::lock;

pub async fn run(cli: &Cli, auto_approve: bool) -> Outcome {
    let loaded = load(&cli.global.file)?;
    let stack = loaded.stack();
    let clients = connect(&loaded, cli).await?;
    match lock::holder(&clients, stack).await? {
        None => println!("Stack `{stack}` is not locked."),
        Some(h) => {
            println!("Stack `{stack}` is locked by {}.", h.describe());
            confirm(auto_approve, "force-unlock", "Remove the lock? Only do this when that run is no longer running.", "yes")?;
            lock::release(&clients, stack).await?;
            println!("Lock removed.");
        }
    }
    Ok(ExitStatus::Success)
}
