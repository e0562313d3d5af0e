//! Bad input never panics: the project-file loader and validator get random and mutated
//! TOML (seeded from `tests/fuzz-corpus/`), and every input must be answered with errors
//! or accepted, never a panic or a hang. A crashing input is written to
//! `target/fuzz-crashes/` and named in the failure; add it to the corpus once fixed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, so a failure reproduces with the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that steer mutations into the grammar: keys, punctuation, odd characters.
const DICTIONARY: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    "\"",
    "'",
    "\n",
    ",",
    ".",
    "#",
    "\\",
    "\u{0}",
    "é",
    "🦀",
    "\u{202e}",
    "0",
    "-1",
    "99999999999999999999",
    "1e400",
    "true",
    "[stack]\nname = \"s\"\n",
    "[projects.p]\n",
    "source = { type = \"none\" }\n",
    "[[pipelines.p.stages]]\n",
    "actions = [{ name = \"a\", provider = \"CodeBuild\" }]\n",
    "type = \"SecureString\"\n",
    "value_from_env = \"X\"\n",
    "buildspec_file = \"../../etc/passwd\"\n",
    "prevent_destroy = true\n",
    "input = \"x\"\n",
    "output = \"x\"\n",
    "run_order = 0\n",
    "region = \"xx\"\n",
    "variables = { A = { parameter = \"/a\" } }\n",
    "tags = { \"aws:x\" = \"y\" }\n",
    "provider = \"Manual\"\n",
    "connection = \"arn:aws:codeconnections:us-east-1:1:connection/x\"\n",
    "[pipelines.p]\n",
    "triggers = [{ source_action = \"a\" }]\n",
];

/// The corpus folder also holds the buildspec and value files its stacks read.
fn base() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus")
}

fn corpus() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    assert!(files.len() >= 5, "the fuzz corpus is in the repository");
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap())).collect()
}

fn mutate(rng: &mut Rng, input: &str, other: &str) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(7) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 | 2 => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                bytes.splice(at..at, token.bytes());
            }
            3 if !bytes.is_empty() => {
                let end = (at + rng.below(40)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            4 if !bytes.is_empty() => {
                let end = (at + rng.below(80)).min(bytes.len());
                let chunk = bytes[at.min(end)..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, chunk);
            }
            5 => {
                // Splice a slice of another corpus file in.
                let o = other.as_bytes();
                let from = rng.below(o.len() + 1);
                let end = (from + rng.below(200)).min(o.len());
                bytes.splice(at..at, o[from..end].iter().copied());
            }
            _ => {
                let line_start = input.lines().nth(rng.below(input.lines().count() + 1)).unwrap_or("");
                bytes.splice(at..at, format!("\n{line_start}\n").bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn check(input: &str, label: &str) {
    let start = Instant::now();
    let outcome = std::panic::catch_unwind(|| cbctl::check_offline(input, &base()));
    let elapsed = start.elapsed();
    let crash = |why: String| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{label}.toml"));
        std::fs::write(&path, input).unwrap();
        panic!("{why} on {}", path.display());
    };
    match outcome {
        Err(_) => crash("panic".into()),
        Ok(Err(errors)) => {
            if errors.is_empty() || errors.iter().any(|e| !e.starts_with("error: ") || e.trim().len() <= "error:".len()) {
                crash(format!("an error without a message: {errors:?}"));
            }
        }
        Ok(Ok(())) => {}
    }
    if elapsed > Duration::from_secs(2) {
        crash(format!("took {elapsed:?}"));
    }
}

#[test]
fn the_corpus_itself_is_handled() {
    for (name, text) in corpus() {
        check(&text, &name.replace('/', "_"));
        // The seeds are valid stacks, so mutations start from deep inside the grammar.
        assert_eq!(cbctl::check_offline(&text, &base()), Ok(()), "{name}");
    }
}

#[test]
fn mutated_project_files_never_panic_or_hang() {
    quiet_panics();
    let corpus = corpus();
    let seed: u64 = std::env::var("CBCTL_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x005e_edcb);
    let iterations: usize = std::env::var("CBCTL_FUZZ_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let mut rng = Rng(seed | 1);
    let mut accepted = 0;
    for i in 0..iterations {
        let (_, seed_file) = &corpus[rng.below(corpus.len())];
        let (_, other) = &corpus[rng.below(corpus.len())];
        let input = mutate(&mut rng, seed_file, other);
        check(&input, &format!("seed-{seed}-iteration-{i}"));
        if cbctl::check_offline(&input, &base()).is_ok() {
            accepted += 1;
        }
    }
    // Mutations keep a share of inputs valid, so the deeper stages (resolution, planning,
    // rendering) are exercised too, not only the parser.
    assert!(accepted > iterations / 50, "only {accepted} of {iterations} mutated files were valid");
}

#[test]
fn random_bytes_never_panic() {
    quiet_panics();
    let mut rng = Rng(42);
    for i in 0..5_000 {
        let len = rng.below(300);
        const ALPHABET: &[u8] = b"[]{}=\"'.,\n abcxyz0123_-/";
        let bytes: Vec<u8> = (0..len).map(|_| if rng.below(3) == 0 { rng.below(256) as u8 } else { ALPHABET[rng.below(ALPHABET.len())] }).collect();
        check(&String::from_utf8_lossy(&bytes), &format!("random-{i}"));
    }
}

/// Panics inside `check_offline` are caught and reported with their input; the default
/// hook would print each one. Panics of the test itself still print.
fn quiet_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let ours = info.location().is_some_and(|l| l.file().ends_with("tests/fuzz.rs"));
        if ours {
            default(info);
        }
    }));
}
