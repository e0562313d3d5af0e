//! cbctl: plan, apply and destroy AWS CodeBuild CI from one TOML file.
//!
//! The layers, each using only those listed before it (a test checks it), after
//! `output` (printing that never panics, shadowing std's `print!` family everywhere):
//! `model` (what a stack is made of), `file` (the project file as written), `engine`
//! (resolve, observe, the pure `plan`, apply), `aws` (one adapter per service), `ui`
//! (everything drawn) and `commands` (one module per command).

#[macro_use]
mod output;

pub mod model;

pub mod file;

pub mod engine;

pub mod aws;

pub mod ui;

pub mod commands;

pub use commands::{check_offline, run};
