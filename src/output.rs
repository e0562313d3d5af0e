//! Printing that never panics. std's `print!` family panics when standard output or error
//! is closed or full (`cbctl apply | head -1`, `> /dev/full`); in the middle of an apply
//! that would skip the report and leave the stack's lock behind. lib.rs declares this
//! module first, so its `print!`, `println!`, `eprint!` and `eprintln!` shadow std's in
//! every module of cbctl: a write that fails is remembered, not raised, the run goes on
//! to its end, and the command exits 1 saying which stream was lost.

use std::fmt::Arguments;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_LOST: AtomicBool = AtomicBool::new(false);
static STDERR_LOST: AtomicBool = AtomicBool::new(false);

fn write(lost: &AtomicBool, mut stream: impl Write, args: Arguments) {
    if lost.load(Ordering::Relaxed) {
        return;
    }
    if stream.write_fmt(args).and_then(|()| stream.flush()).is_err() {
        lost.store(true, Ordering::Relaxed);
    }
}

pub fn to_stdout(args: Arguments) {
    write(&STDOUT_LOST, std::io::stdout().lock(), args);
}

pub fn to_stderr(args: Arguments) {
    write(&STDERR_LOST, std::io::stderr().lock(), args);
}

/// The stream a write failed on, if one did.
pub fn lost() -> Option<&'static str> {
    if STDOUT_LOST.load(Ordering::Relaxed) {
        Some("standard output")
    } else if STDERR_LOST.load(Ordering::Relaxed) {
        Some("standard error")
    } else {
        None
    }
}

macro_rules! print {
    ($($arg:tt)*) => { $crate::output::to_stdout(format_args!($($arg)*)) };
}

macro_rules! println {
    () => { $crate::output::to_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::to_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

macro_rules! eprint {
    ($($arg:tt)*) => { $crate::output::to_stderr(format_args!($($arg)*)) };
}

macro_rules! eprintln {
    () => { $crate::output::to_stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::to_stderr(format_args!("{}\n", format_args!($($arg)*))) };
}
