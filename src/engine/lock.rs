//! One apply or destroy at a time per stack, without a state file: the lock is an SSM
//! parameter `/cbctl/locks/<stack>` (`model::names::lock_parameter`) created with
//! overwrite disabled, so exactly one of two
//! concurrent runs can create it. Its value names the holder and the time. It carries no
//! `cbctl:stack` tag, so no plan ever sees it as a resource of the stack.
//!
//! A holder that died on this very machine (its process is gone) is recognised and its
//! lock taken over, by exactly one run however many find it (`take_over`); anything
//! else needs an explicit `cbctl force-unlock`.

use serde::{Deserialize, Serialize};

use super::adapter::Backend;
use super::error::AwsError;
use crate::model::names::{lock_parameter as name, lock_takeover_marker};

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
    for _ in 0..3 {
        if c.put_if_absent(&name(stack), &value, "cbctl lock: one apply or destroy at a time for this stack").await? {
            return Ok(Acquire::Acquired { took_over });
        }
        let Some(raw) = c.read_parameter(&name(stack)).await? else { continue };
        let holder = Holder::parse(&raw);
        if !holder.is_dead_here() {
            return Ok(Acquire::Held(holder));
        }
        if !take_over(c, stack, &raw, &value).await? {
            return Ok(Acquire::Held(holder));
        }
        took_over = Some(holder);
    }
    Ok(Acquire::Held(Holder::me("(unknown)")))
}

/// Removes the lock of a dead holder (its value `raw`) so that this run can take it, if
/// this run is the one that may: several runs can find the same dead holder, and SSM has
/// no compare-and-delete, so they race to create the holder's takeover marker. The one
/// that creates it checks the lock still names the dead holder, deletes it, and removes
/// the marker; the others are told the stack is locked. False when another run won.
async fn take_over(c: &dyn Backend, stack: &str, raw: &str, me: &str) -> Result<bool, AwsError> {
    let marker = lock_takeover_marker(stack, raw);
    if !c.put_if_absent(&marker, me, "cbctl lock takeover: at most one run removes a dead holder's lock").await? {
        return Ok(false);
    }
    let still_dead = c.read_parameter(&name(stack)).await?.as_deref() == Some(raw);
    if still_dead {
        c.delete_parameter(&name(stack)).await?;
    }
    c.delete_parameter(&marker).await?;
    Ok(still_dead)
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
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::super::adapter::{Adapter, BoxFuture};
    use super::*;
    use crate::model::Kind;

    /// SSM parameters in memory; every run's first read of the lock waits at a barrier
    /// until all runs have read it, the interleaving in which two runs both see the same
    /// dead holder.
    struct Parameters {
        values: Mutex<BTreeMap<String, String>>,
        first_reads: tokio::sync::Barrier,
        read_once: Mutex<std::collections::BTreeSet<String>>,
    }

    impl Backend for Parameters {
        fn adapter(&self, _: Kind) -> Box<dyn Adapter + '_> {
            unreachable!("the lock uses parameters only")
        }
        fn connection_statuses(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>> {
            unreachable!("the lock uses parameters only")
        }
        fn key_arns(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, String>, AwsError>> {
            unreachable!("the lock uses parameters only")
        }
        fn bucket_versioning(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, Option<String>>, AwsError>> {
            unreachable!("the lock uses parameters only")
        }
        fn image_counts(&self, _: Vec<String>) -> BoxFuture<'_, Result<BTreeMap<String, usize>, AwsError>> {
            unreachable!("the lock uses parameters only")
        }
        fn put_if_absent<'a>(&'a self, name: &'a str, value: &'a str, _: &'a str) -> BoxFuture<'a, Result<bool, AwsError>> {
            Box::pin(async move {
                tokio::task::yield_now().await;
                let mut values = self.values.lock().unwrap();
                Ok(!values.contains_key(name) && values.insert(name.to_string(), value.to_string()).is_none())
            })
        }
        fn read_parameter<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<Option<String>, AwsError>> {
            Box::pin(async move {
                let value = self.values.lock().unwrap().get(name).cloned();
                let me = format!("{:?}", tokio::task::try_id());
                if name == super::name("s") && self.read_once.lock().unwrap().insert(me) {
                    self.first_reads.wait().await;
                }
                Ok(value)
            })
        }
        fn delete_parameter<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<(), AwsError>> {
            Box::pin(async move {
                tokio::task::yield_now().await;
                self.values.lock().unwrap().remove(name);
                Ok(())
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn of_runs_that_find_the_same_dead_holder_exactly_one_takes_the_lock() {
        let dead = Holder { pid: u32::MAX - 1, ..Holder::me("apply") };
        for runs in [2, 3, 5] {
            let params = std::sync::Arc::new(Parameters {
                values: Mutex::new(BTreeMap::from([(super::name("s"), serde_json::to_string(&dead).unwrap())])),
                first_reads: tokio::sync::Barrier::new(runs),
                read_once: Mutex::new(Default::default()),
            });
            let tasks: Vec<_> = (0..runs)
                .map(|_| {
                    let p = params.clone();
                    tokio::spawn(async move { matches!(acquire(p.as_ref(), "s", "apply").await.unwrap(), Acquire::Acquired { .. }) })
                })
                .collect();
            let mut acquired = 0;
            for t in tasks {
                acquired += usize::from(t.await.unwrap());
            }
            assert_eq!(acquired, 1, "{runs} runs found the dead holder");
            let left: Vec<String> = params.values.lock().unwrap().keys().cloned().collect();
            assert_eq!(left, [super::name("s")], "no takeover marker is left behind");
        }
    }

    #[test]
    fn formats_utc_times() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(1_795_262_400), "2026-11-21 12:00:00 UTC");
    }
}
