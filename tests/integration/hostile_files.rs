//! Files that are hostile or simply wrong: a buildspec nested 20 000 levels deep, a YAML
//! alias bomb, `/dev/zero`, `/dev/urandom`, a FIFO and a 1 GiB file named as a
//! `buildspec_file`, a `value_from_file` or the project file (`-f`). Each must end in a
//! clear error and exit code 1 within seconds: no crash, no hang, no unbounded read.
//!
//! cbctl runs here with its address space capped and under a deadline, so that a
//! regression fails the test instead of exhausting the machine or hanging the suite.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{assert_mentions, Stack};

/// How long a refusal may take; the real answer takes milliseconds.
const DEADLINE: Duration = Duration::from_secs(10);

/// The address space cbctl gets here (4 GiB): far more than it needs, far less than the
/// gigabytes an unbounded read or an alias bomb would take.
const MEMORY: libc::rlim_t = 4 << 30;

/// How a run of cbctl ended: its exit code (`None` when a signal ended it, or when it
/// was killed at the deadline), its standard error, and how long it took.
struct Run {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
}

/// Runs `cmd` with the memory cap, killing it at the deadline.
fn run(mut cmd: Command) -> Run {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: MEMORY, rlim_max: MEMORY };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("run cbctl");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    Run { code: status.and_then(|s| s.code()), stderr: reader.join().unwrap(), elapsed }
}

/// `cbctl ARGS` in `dir`, offline: no AWS endpoint, no credentials.
fn offline(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cbctl"));
    cmd.current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1");
    cmd
}

/// Asserts that the run was refused in time, with exit code 1 and every `expected` text.
fn refused(r: &Run, expected: &[&str]) {
    assert!(r.elapsed < DEADLINE, "cbctl was still running after {DEADLINE:?} (killed); stderr:\n{}", r.stderr);
    assert_eq!(r.code, Some(1), "cbctl must exit 1, not crash; stderr:\n{}", r.stderr);
    assert_mentions(&r.stderr, expected);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// A project directory whose one project sends `buildspec` inline (the key is on line 5,
/// its value at column 18).
fn with_buildspec(buildspec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!("[stack]\nname = \"h\"\n[projects.app]\nsource = {{ type = \"none\" }}\nbuildspec_file = \"{buildspec}\"\n");
    std::fs::write(dir.path().join("cbctl.toml"), toml).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A file of `len` bytes that takes no disk space.
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

#[test]
fn a_deeply_nested_buildspec_is_refused_with_its_line() {
    // Block sequences: `- - - … x`, 10 KB on line 3 (the shape that overflowed the stack).
    let dir = with_buildspec("deep.yml");
    std::fs::write(dir.path().join("deep.yml"), format!("version: 0.2\nphases:\n  {}x\n", "- ".repeat(5_000))).unwrap();
    let r = run(offline(dir.path(), &["validate"]));
    refused(&r, &["buildspec file `deep.yml` nests deeper than 64 levels", "(at deep.yml:3:", "--> cbctl.toml:5:18"]);

    // Flow sequences: 20 000 `[` on line 2.
    std::fs::write(dir.path().join("deep.yml"), format!("version: 0.2\nphases: {}\n", "[".repeat(20_000))).unwrap();
    let r = run(offline(dir.path(), &["validate"]));
    refused(&r, &["buildspec file `deep.yml` nests deeper than 64 levels", "(at deep.yml:2:"]);
}

#[test]
fn a_yaml_alias_bomb_is_refused_without_expanding_it() {
    // "Billion laughs": nine levels of nine aliases each, 10^9 strings once expanded.
    let mut bomb = String::from("version: 0.2\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (prev, next) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        bomb.push_str(&format!("{next}: &{next} [{}]\n", vec![format!("*{prev}"); 9].join(",")));
    }
    assert!(bomb.len() < 600, "{}", bomb.len());
    let dir = with_buildspec("bomb.yml");
    std::fs::write(dir.path().join("bomb.yml"), &bomb).unwrap();
    let r = run(offline(dir.path(), &["validate"]));
    refused(&r, &["buildspec file `bomb.yml` expands its aliases to more than", "(at bomb.yml:", "--> cbctl.toml:5:18"]);

    // Aliases of aliases can also nest deeper than the file itself shows.
    let mut tall = String::from("version: 0.2\na0: &a0 [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]\n");
    for i in 1..10 {
        tall.push_str(&format!("a{i}: &a{i} [[[[[[[[[[[[[[[[[[[[*a{}]]]]]]]]]]]]]]]]]]]]\n", i - 1));
    }
    std::fs::write(dir.path().join("bomb.yml"), &tall).unwrap();
    let r = run(offline(dir.path(), &["validate"]));
    refused(&r, &["buildspec file `bomb.yml` nests deeper than 64 levels once its aliases are expanded", "(at bomb.yml:"]);
}

#[test]
fn a_buildspec_file_that_is_a_device_a_fifo_or_huge_is_refused_unread() {
    for device in ["/dev/zero", "/dev/urandom"] {
        let dir = with_buildspec(device);
        let r = run(offline(dir.path(), &["validate"]));
        refused(&r, &[&format!("cannot read buildspec file `{device}`: it is a character device, not a regular file"), "--> cbctl.toml:5:18"]);
    }

    let dir = with_buildspec("fifo.yml");
    mkfifo(&dir.path().join("fifo.yml"));
    let r = run(offline(dir.path(), &["validate"]));
    refused(&r, &["cannot read buildspec file `fifo.yml`: it is a FIFO (named pipe), not a regular file"]);

    let dir = with_buildspec("big.yml");
    sparse(&dir.path().join("big.yml"), 1 << 30);
    let r = run(offline(dir.path(), &["validate"]));
    refused(&r, &["cannot read buildspec file `big.yml`: it is 1.0 GiB; a buildspec file may be at most 100.0 KiB"]);

    // Under the read limit but over CodeBuild's own limit for an inline buildspec.
    std::fs::write(dir.path().join("big.yml"), format!("version: 0.2\n#{}\n", "x".repeat(30_000))).unwrap();
    let r = run(offline(dir.path(), &["validate"]));
    refused(&r, &["buildspec file `big.yml` is 30015 characters; CodeBuild accepts at most 25600 in an inline buildspec"]);
}

#[test]
fn a_project_file_that_is_a_device_a_fifo_or_huge_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    for device in ["/dev/zero", "/dev/urandom"] {
        let r = run(offline(dir.path(), &["validate", "-f", device]));
        refused(&r, &[&format!("cannot read the project file {device}: it is a character device, not a regular file")]);
    }
    mkfifo(&dir.path().join("fifo.toml"));
    let r = run(offline(dir.path(), &["validate", "-f", "fifo.toml"]));
    refused(&r, &["cannot read the project file fifo.toml: it is a FIFO (named pipe), not a regular file"]);
    let r = run(offline(dir.path(), &["validate", "-f", "."]));
    refused(&r, &["cannot read the project file .: it is a directory, not a regular file"]);
    sparse(&dir.path().join("big.toml"), 1 << 30);
    let r = run(offline(dir.path(), &["plan", "-f", "big.toml"]));
    refused(&r, &["cannot read the project file big.toml: it is 1.0 GiB; a project file may be at most 1.0 MiB"]);
}

/// `value_from_file` is read when plan resolves the file, after AWS has been read: the
/// emulator stands in for it.
#[test]
fn a_value_file_that_is_a_device_a_fifo_or_huge_is_refused_unread() {
    let s = Stack::new(
        "[stack]\nname = \"vf\"\n[parameters.\"/vf/zero\"]\nvalue_from_file = \"/dev/zero\"\n[parameters.\"/vf/random\"]\ntype = \"SecureString\"\nvalue_from_file = \"/dev/urandom\"\n[parameters.\"/vf/fifo\"]\nvalue_from_file = \"fifo.txt\"\n[parameters.\"/vf/big\"]\nvalue_from_file = \"big.txt\"\n",
    );
    mkfifo(&s.path("fifo.txt"));
    sparse(&s.path("big.txt"), 1 << 30);
    let r = run(s.command(&["plan"]));
    refused(
        &r,
        &[
            "cannot read `/dev/zero`: it is a character device, not a regular file",
            "cbctl.toml:4:19",
            "cannot read `/dev/urandom`: it is a character device, not a regular file",
            "cannot read `fifo.txt`: it is a FIFO (named pipe), not a regular file",
            "cannot read `big.txt`: it is 1.0 GiB; a parameter value file may be at most 16.0 KiB",
            "cbctl.toml:11:19",
        ],
    );
}
