//! Everything cbctl does with a project file before it talks to AWS, as one function the
//! fuzz test drives with random and mutated files: whatever the input, it must answer
//! with errors, never a panic or a hang.

use std::path::Path;

use crate::engine::permissions::operator_policy;
use crate::engine::plan::{plan, Observed};
use crate::engine::resolve::resolve;
use crate::engine::Facts;
use crate::model::Target;
use crate::ui;
use crate::ui::diagnostic::SourceFile;

/// Parse, validate, resolve (against a fixed account where everything the file
/// references exists; local files relative to `base`), plan against an empty account
/// and render. Returns the rendered errors.
pub fn check_offline(text: &str, base: &Path) -> Result<(), Vec<String>> {
    let src = SourceFile::new("cbctl.toml", text);
    let file = crate::file::parse(text).map_err(|d| vec![src.render(&d)])?;
    let diags = crate::file::validate(&file);
    if !diags.is_empty() {
        return Err(diags.iter().map(|d| src.render(d)).collect());
    }
    let target = Target { account: "123456789012".into(), region: "us-east-1".into(), partition: "aws".into() };
    let env = |_: &str| Some("value".to_string());
    let desired =
        resolve(&file, base, &target, &Facts::assumed(&file), &env, true).map_err(|ds| ds.iter().map(|d| src.render(d)).collect::<Vec<_>>())?;
    let plan = plan(file.stack.name.get_ref(), &desired.resources, &Observed::default());
    let _ = ui::plan::plan_text(&plan, ui::Style { color: false });
    let _ = ui::plan::plan_json(&plan);
    let _ = operator_policy(&file, base, &target);
    Ok(())
}
