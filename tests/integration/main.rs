//! Integration tests: the real `cbctl` binary against the project's own AWS emulator
//! (moto plus the gap fillers of tests/emulator/launcher.py). Each test starts its own
//! emulator, so tests are independent and run in parallel. AWS state is checked through
//! the emulator's API with the plain AWS SDK, never through cbctl's own reading code.

mod harness;
mod kept;

mod aws_defaults;
mod aws_rules;
mod cycle;
mod deploy_actions;
mod docs;
mod ecr_and_grants;
mod errors;
mod faults;
mod hostile_files;
mod log_groups;
mod masking;
mod pipelines;
mod project_settings;
mod refusals;
mod run_and_watch;
mod s3_and_import;
mod safety;
mod scale;
mod strict_input;
mod triggers_and_notifications;
