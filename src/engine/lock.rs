//! One apply or destroy at a time per stack, without a state file: the lock is an SSM
//! parameter `/cbctl/locks/<stack>` (`model::names::lock_parameter`) created with
//! overwrite disabled, so exactly one of two
//! concurrent runs can create it. Its value names the holder and the time. It carries no
//! `cbctl:stack` tag, so no plan ever sees it as a resource of the stack.
//!
//! A holder that died on this very machine (its process is gone) is recognised and its
//! lock taken over; anything else needs an explicit `cbctl force-unlock`.

use serde::{Deserialize, Serialize};

use super::adapter::Backend;
use super::error::AwsError;
use crate::model::names::lock_parameter as name;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Holder {
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// seconds since the Unix epoch
    pub since: u64,
}

impl Holder {
    pub fn me(command: &str) -> Holder {
        Holder {
            user: std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into()),
            host: hostname(),
            pid: std::process::id(),
            command: command.into(),
            since: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        }
    }

    /// Reads a lock's value; one not written by cbctl is shown as it is.
    fn parse(raw: &str) -> Holder {
        serde_json::from_str(raw).unwrap_or_else(|_| Holder { user: "?".into(), host: "?".into(), pid: 0, command: raw.to_string(), since: 0 })
    }

    pub fn describe(&self) -> String {
        format!("{}@{} (pid {}, cbctl {}) since {}", self.user, self.host, self.pid, self.command, utc(self.since))
    }

    /// True when the holder ran on this machine and its process is gone.
    fn is_dead_here(&self) -> bool {
        self.host == hostname()
            && self.pid != std::process::id()
            && cfg!(target_os = "linux")
            && !std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// `YYYY-MM-DD HH:MM:SS UTC` from epoch seconds (civil-from-days, Howard Hinnant).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

pub enum Acquire {
    /// Ours now; `took_over` names a holder that had died on this machine.
    Acquired { took_over: Option<Holder> },
    /// Someone else holds it.
    Held(Holder),
}

pub async fn acquire(c: &dyn Backend, stack: &str, command: &str) -> Result<Acquire, AwsError> {
    let me = Holder::me(command);
    let value = serde_json::to_string(&me).unwrap_or_default();
    let mut took_over = None;
    for _ in 0..2 {
        if c.put_if_absent(&name(stack), &value, "cbctl lock: one apply or destroy at a time for this stack").await? {
            return Ok(Acquire::Acquired { took_over });
        }
        let Some(raw) = c.read_parameter(&name(stack)).await? else { continue };
        let holder = Holder::parse(&raw);
        if holder.is_dead_here() {
            c.delete_parameter(&name(stack)).await?;
            took_over = Some(holder);
            continue;
        }
        return Ok(Acquire::Held(holder));
    }
    Ok(Acquire::Held(Holder::me("(unknown)")))
}

pub async fn release(c: &dyn Backend, stack: &str) -> Result<(), AwsError> {
    c.delete_parameter(&name(stack)).await
}

/// The current holder, if the stack is locked.
pub async fn holder(c: &dyn Backend, stack: &str) -> Result<Option<Holder>, AwsError> {
    Ok(c.read_parameter(&name(stack)).await?.map(|raw| Holder::parse(&raw)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc_times() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(1_795_262_400), "2026-11-21 12:00:00 UTC");
    }
}
