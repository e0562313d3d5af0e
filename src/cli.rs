//! The command line, as CONTRACT §1 defines it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(name = "cbctl", version, about = "Provision AWS CodeBuild CI/CD from one declarative TOML file")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The project file
    #[arg(short, long, global = true, default_value = "cbctl.toml")]
    pub file: PathBuf,
    /// AWS region (overrides [stack].region and the AWS config chain)
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS profile from the shared config files
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// When to use colors (NO_COLOR is honoured with `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Name each AWS call on stderr (-v), never its parameters
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change in AWS; changes nothing
    Plan {
        /// Print the plan as JSON on stdout
        #[arg(long)]
        json: bool,
        /// Exit 0 when there are no changes, 2 when there are changes, 1 on error
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Make AWS match the project file
    Apply {
        /// Do not ask for confirmation
        #[arg(long)]
        auto_approve: bool,
    },
    /// Delete everything the stack owns
    Destroy {
        /// Do not ask for confirmation
        #[arg(long)]
        auto_approve: bool,
    },
    /// Check the project file offline (no AWS calls)
    Validate,
    /// Print the IAM policy that running cbctl on this stack needs
    Permissions,
}
