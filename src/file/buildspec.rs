//! Buildspecs sent inline (`buildspec_file`): read and checked offline, since CodeBuild
//! rejects a broken one only when a build starts.

use toml::Spanned;

use super::diagnostic::Diagnostic;
use super::rules::span;
use super::ProjectFile;

/// Reads a buildspec sent inline (`buildspec_file`, relative to `base`) and checks what
/// CodeBuild would otherwise only reject once a build starts: YAML syntax and a
/// `version` of 0.2 (or the older 0.1).
pub fn read_buildspec(base: &std::path::Path, file: &Spanned<String>) -> Result<String, Diagnostic> {
    use yaml_rust2::{Yaml, YamlLoader};
    let name = file.get_ref();
    let text =
        std::fs::read_to_string(base.join(name)).map_err(|e| Diagnostic::at(span(file), format!("cannot read buildspec file `{name}`: {e}")))?;
    let docs = YamlLoader::load_from_str(&text).map_err(|e| {
        let at = e.marker();
        Diagnostic::at(span(file), format!("buildspec file `{name}` is not valid YAML: {} (at {name}:{}:{})", e.info(), at.line(), at.col() + 1))
    })?;
    let version = docs.first().map(|d| &d["version"]);
    if !matches!(version, Some(Yaml::Real(v) | Yaml::String(v)) if v == "0.2" || v == "0.1") {
        return Err(Diagnostic::at(span(file), format!("buildspec file `{name}` does not start with `version: 0.2`"))
            .with_hint("CodeBuild reads only buildspecs that declare `version: 0.2` at the top level"));
    }
    Ok(text)
}

/// Every `buildspec_file` of the file, read and checked; used offline by `validate`.
pub fn buildspec_files(file: &ProjectFile, base: &std::path::Path) -> Vec<Diagnostic> {
    file.projects.values().filter_map(|p| p.buildspec_file.as_ref()).filter_map(|f| read_buildspec(base, f).err()).collect()
}
