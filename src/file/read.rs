//! Reading a file the user names (the project file, a `buildspec_file`, a
//! `value_from_file`, a saved plan) without trusting it: a path may name `/dev/zero`, a
//! FIFO that never answers or a file of gigabytes, and each must end in an error that
//! says why, never in an unbounded read or a hang. One function, so every reader gets
//! the same checks and the same messages.

use std::io::Read;
use std::path::Path;

/// The text of the regular file at `path`, at most `limit` bytes of UTF-8.
///
/// Refuses anything but a regular file (after following symlinks) before opening it, so
/// a FIFO is never opened for a blocking read; opens without blocking and checks the
/// opened file again, in case the path was swapped in between; refuses a file over
/// `limit` before reading it, and reads at most `limit + 1` bytes so a file that grows
/// meanwhile cannot take more. `what` names the kind of file in the size message
/// ("a buildspec file may be at most 100.0 KiB").
///
/// The error is the reason alone ("it is a FIFO (named pipe), not a regular file"), for
/// the caller to put after the file's name as it was written, the way it shows an I/O
/// error: "cannot read buildspec file `x.yml`: it is ...".
pub fn read_regular(path: &Path, limit: u64, what: &str) -> Result<String, String> {
    let before = std::fs::metadata(path).map_err(|e| e.to_string())?;
    regular(&before, limit, what)?;
    let file = open_without_blocking(path).map_err(|e| e.to_string())?;
    let opened = file.metadata().map_err(|e| e.to_string())?;
    regular(&opened, limit, what)?;
    read_at_most(file, opened.len().min(limit), limit, what)
}

/// Reads at most `limit` bytes of UTF-8 from `reader`; more is an error, never read.
fn read_at_most(reader: impl Read, expected: u64, limit: u64, what: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(expected as usize);
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("it grew while being read, past {}, the most {what} may be", size(limit)));
    }
    String::from_utf8(bytes).map_err(|e| format!("it is not UTF-8 text (byte {} is not)", e.utf8_error().valid_up_to()))
}

/// Refuses what is not a regular file, or is one over `limit` bytes.
fn regular(meta: &std::fs::Metadata, limit: u64, what: &str) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!("it is {}, not a regular file", kind(&meta.file_type())));
    }
    if meta.len() > limit {
        return Err(format!("it is {}; {what} may be at most {}", size(meta.len()), size(limit)));
    }
    Ok(())
}

/// Opens for reading; on unix with `O_NONBLOCK`, so that a FIFO put in the file's place
/// after it was checked is opened without waiting for a writer (and then refused).
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    options.open(path)
}

/// What a file that is not a regular file is, for the message.
fn kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        } else if t.is_char_device() {
            return "a character device";
        } else if t.is_block_device() {
            return "a block device";
        } else if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// `bytes` for people: "512 bytes", "100.0 KiB", "1.0 GiB".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_within_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        std::fs::write(&path, "hello\n").unwrap();
        assert_eq!(read_regular(&path, 6, "a test file").as_deref(), Ok("hello\n"));
        // Through a symlink too: what counts is what it points to.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert_eq!(read_regular(&link, 6, "a test file").as_deref(), Ok("hello\n"));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
        assert_eq!(read_regular(&path, 100 * 1024, "a test file"), Err("it is 1.0 GiB; a test file may be at most 100.0 KiB".into()));
        std::fs::write(&path, "1234567").unwrap();
        assert_eq!(read_regular(&path, 6, "a test file"), Err("it is 7 bytes; a test file may be at most 6 bytes".into()));
    }

    #[test]
    fn a_file_that_grows_while_being_read_is_cut_off_at_the_limit() {
        // An endless reader stands in for a file someone keeps appending to.
        let endless = std::io::repeat(b'a');
        assert_eq!(read_at_most(endless, 0, 2048, "a test file"), Err("it grew while being read, past 2.0 KiB, the most a test file may be".into()));
        assert_eq!(read_at_most(&b"abc"[..], 3, 3, "a test file").as_deref(), Ok("abc"));
    }

    #[test]
    fn devices_fifos_and_directories_are_refused_unopened() {
        let dir = tempfile::tempdir().unwrap();
        let not_regular = |kind: &str| Err(format!("it is {kind}, not a regular file"));
        assert_eq!(read_regular(Path::new("/dev/zero"), 1024, "x"), not_regular("a character device"));
        assert_eq!(read_regular(Path::new("/dev/urandom"), 1024, "x"), not_regular("a character device"));
        assert_eq!(read_regular(dir.path(), 1024, "x"), not_regular("a directory"));
        // A FIFO with no writer: opening it to read would block forever.
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert_eq!(read_regular(&fifo, 1024, "x"), not_regular("a FIFO (named pipe)"));
    }

    #[test]
    fn missing_files_and_binary_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_regular(&dir.path().join("nope"), 10, "x").unwrap_err();
        assert!(missing.contains("No such file or directory"), "{missing}");
        let path = dir.path().join("bin");
        std::fs::write(&path, b"ok\xff\xfe").unwrap();
        assert_eq!(read_regular(&path, 10, "x"), Err("it is not UTF-8 text (byte 2 is not)".into()));
    }

    #[test]
    fn sizes_read_like_a_person_wrote_them() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(1024), "1.0 KiB");
        assert_eq!(size(16 * 1024), "16.0 KiB");
        assert_eq!(size(1 << 20), "1.0 MiB");
        assert_eq!(size(1 << 30), "1.0 GiB");
        assert_eq!(size(u64::MAX), "16777216.0 TiB");
    }
}
