//! Bad input never panics: the project-file loader and validator get random and mutated
//! TOML (seeded from `tests/fuzz-corpus/`), the buildspec reader random, mutated, deeply
//! nested and alias-laden YAML, and every input must be answered with errors or
//! accepted, never a panic or a hang. A crashing input is written to
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

fn mutate(rng: &mut Rng, input: &str, other: &str, dictionary: &[&str]) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(7) {
            0 if !bytes.is_empty() => {
                let i = rng.below(bytes.len());
                bytes[i] ^= 1 << rng.below(8);
            }
            1 | 2 => {
                let token = dictionary[rng.below(dictionary.len())];
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
        let input = mutate(&mut rng, seed_file, other, DICTIONARY);
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

/// Tokens that steer buildspec mutations into YAML: nesting, anchors and aliases (merge
/// keys too), tags, block scalars, documents, odd characters.
const YAML_DICTIONARY: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "- ",
    ": ",
    ", ",
    "? ",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "&a [*a, *a]",
    "<<: *a\n",
    "!!str ",
    "!!map ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "\"",
    "'",
    "#",
    "\n",
    "\n  ",
    "\t",
    "\u{feff}",
    "\u{0}",
    "é",
    "🦀",
    "version: 0.2\n",
    "version: 0.1\n",
    "phases:\n  build:\n    commands:\n",
    "      - make\n",
    "1e400",
    "~",
];

/// Inputs built to hurt a YAML reader: deep nesting of every kind, alias bombs (wide or
/// tall), and token soup.
fn hostile_yaml(rng: &mut Rng) -> String {
    let mut out = String::from("version: 0.2\n");
    match rng.below(4) {
        0 => {
            let depth = 1 + rng.below(30_000);
            let (open, close) = [("[", "]"), ("{a: ", "}"), ("- ", ""), ("? ", "")][rng.below(4)];
            out.push_str("phases: ");
            out.push_str(&open.repeat(depth));
            out.push('x');
            if rng.below(2) == 0 {
                out.push_str(&close.repeat(depth));
            }
        }
        1 => {
            let (fan_out, levels) = (2 + rng.below(9), 1 + rng.below(40));
            out.push_str("a0: &a0 [lol]\n");
            for i in 1..=levels {
                out.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); fan_out].join(", ")));
            }
        }
        2 => {
            let (height, levels) = (1 + rng.below(40), 1 + rng.below(20));
            out.push_str(&format!("t0: &t0 {}x{}\n", "[".repeat(height), "]".repeat(height)));
            for i in 1..=levels {
                out.push_str(&format!("t{i}: &t{i} {}*t{}{}\n", "[".repeat(height), i - 1, "]".repeat(height)));
            }
        }
        _ => (0..rng.below(200)).for_each(|_| out.push_str(YAML_DICTIONARY[rng.below(YAML_DICTIONARY.len())])),
    }
    out
}

/// Reads `text` as a `buildspec_file` through the public reader: an answer (accepted or a
/// diagnostic with a message) within two seconds, never a panic.
fn check_buildspec(dir: &std::path::Path, text: &str, label: &str) -> Result<(), String> {
    std::fs::write(dir.join("b.yml"), text).unwrap();
    let file = toml::Spanned::new(0..5, "b.yml".to_string());
    let start = Instant::now();
    let outcome = std::panic::catch_unwind(|| cbctl::file::buildspec::read_buildspec(dir, &file));
    let elapsed = start.elapsed();
    if elapsed > Duration::from_secs(2) {
        crash_on_yaml(text, label, format!("took {elapsed:?}"));
    }
    match outcome {
        Err(_) => crash_on_yaml(text, label, "panic".into()),
        Ok(Err(d)) if d.message.trim().is_empty() => crash_on_yaml(text, label, "an error without a message".into()),
        Ok(Err(d)) => Err(d.message),
        Ok(Ok(_)) => Ok(()),
    }
}

/// Keeps the input that failed in `target/fuzz-crashes/` and fails the test, naming it.
fn crash_on_yaml(text: &str, label: &str, why: String) -> ! {
    let crashes = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
    std::fs::create_dir_all(&crashes).unwrap();
    let path = crashes.join(format!("{label}.yml"));
    std::fs::write(&path, text).unwrap();
    panic!("{why} on {}", path.display());
}

#[test]
fn hostile_and_mutated_buildspec_files_never_panic_hang_or_blow_up() {
    quiet_panics();
    let dir = tempfile::tempdir().unwrap();
    let mut seeds: Vec<String> = std::fs::read_dir(base())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 3, "the fuzz corpus holds buildspecs");
    let seed: u64 = std::env::var("CBCTL_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x0b1d_5bec);
    let iterations: usize = std::env::var("CBCTL_FUZZ_ITERATIONS").ok().and_then(|s| s.parse().ok()).map_or(4_000, |n: usize| n / 5);
    let mut rng = Rng(seed | 1);
    let (mut accepted, mut too_deep, mut bombs) = (0, 0, 0);
    for i in 0..iterations {
        let hostile = hostile_yaml(&mut rng);
        let corpus_file = &seeds[rng.below(seeds.len())];
        let input = match rng.below(3) {
            0 => hostile,
            1 => mutate(&mut rng, corpus_file, &hostile, YAML_DICTIONARY),
            _ => mutate(&mut rng, &hostile, corpus_file, YAML_DICTIONARY),
        };
        match check_buildspec(dir.path(), &input, &format!("buildspec-seed-{seed}-iteration-{i}")) {
            Ok(()) => accepted += 1,
            Err(m) if m.contains("nests deeper than") => too_deep += 1,
            Err(m) if m.contains("expands its aliases") => bombs += 1,
            Err(_) => {}
        }
    }
    // The generators reach every outcome: valid buildspecs, too deep, alias bombs.
    assert!(accepted > 0 && too_deep > 0 && bombs > 0, "accepted {accepted}, too deep {too_deep}, alias bombs {bombs}");
}

/// Tokens that steer plan-file mutations into JSON and into what a plan says.
const PLAN_DICTIONARY: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "null",
    "true",
    "0",
    "-1",
    "2",
    "1e999",
    "\\u0000",
    "\"create\"",
    "\"update\"",
    "\"replace\"",
    "\"delete\"",
    "\"parameter\"",
    "\"role\"",
    "\"format_version\": 2,",
    "\"changes\": [],",
    "\"Plain\"",
    "\"(sensitive value)\"",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
];

/// What each corpus stack plans on an empty account, and its plan file.
fn saved_plans() -> Vec<(String, cbctl::engine::Plan, String)> {
    use cbctl::engine::saved_plan::SavedPlan;
    let target = plan_target();
    let env = |_: &str| Some("value".to_string());
    corpus()
        .into_iter()
        .map(|(name, text)| {
            let file = cbctl::file::parse(&text).unwrap();
            let facts = cbctl::engine::Facts::assumed(&file);
            let desired = cbctl::engine::resolve::resolve(&file, &base(), &target, &facts, &env, true).unwrap();
            let plan = cbctl::engine::plan::plan(file.stack.name.get_ref(), &desired.resources, &cbctl::engine::Observed::default());
            let saved = serde_json::to_string_pretty(&SavedPlan::new(&plan, &target)).unwrap();
            (name, plan, saved)
        })
        .collect()
}

fn plan_target() -> cbctl::model::Target {
    cbctl::model::Target { account: "123456789012".into(), region: "us-east-1".into(), partition: "aws".into() }
}

/// A plan file anyone could have edited: every mutation is either refused, or read as
/// exactly the plan the file and AWS give (apply's check), never a panic or a hang.
#[test]
fn mutated_plan_files_are_refused_or_mean_exactly_the_plan() {
    use cbctl::engine::saved_plan::SavedPlan;
    quiet_panics();
    let plans = saved_plans();
    let target = plan_target();
    let mut rng = Rng(0x9_1a7f);
    let (mut refused, mut unreadable) = (0, 0);
    for i in 0..4_000 {
        let (name, plan, text) = &plans[rng.below(plans.len())];
        let other = &plans[rng.below(plans.len())].2;
        let input = mutate(&mut rng, text, other, PLAN_DICTIONARY);
        let start = Instant::now();
        let outcome = std::panic::catch_unwind(|| match SavedPlan::parse(&input, &plan.stack) {
            Err(why) => Err(why),
            Ok(saved) => Ok((saved.differences(plan, &target), serde_json::to_value(&saved.changes).unwrap())),
        });
        let fail = |why: &str| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("plan-{i}.json"));
            std::fs::write(&path, &input).unwrap();
            std::fs::write(path.with_extension("original.json"), text).unwrap();
            panic!("{why}: a mutation of the plan of {name}, in {}", path.display());
        };
        match outcome {
            Err(_) => fail("panic"),
            Ok(Err(why)) if why.trim().is_empty() => fail("a refusal without a reason"),
            Ok(Err(_)) => unreadable += 1,
            Ok(Ok((differences, _))) if !differences.is_empty() => refused += 1,
            Ok(Ok((_, accepted))) => {
                // Accepted only if it reads as the very same changes (`"before": null`
                // left out is the same plan).
                let original: serde_json::Value = serde_json::from_str(text).unwrap();
                if accepted != original["changes"] {
                    fail("an edited plan was accepted");
                }
            }
        }
        if start.elapsed() > Duration::from_secs(2) {
            fail("slow");
        }
    }
    assert!(unreadable > 100 && refused > 100, "mutations reach both checks: {unreadable} unreadable, {refused} refused");
}
