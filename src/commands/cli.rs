//! The command line, as CONTRACT §1 defines it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use crate::ui::style::ColorChoice;

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
    /// Name each AWS call on stderr (-v; -vv adds response statuses), never parameters
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Attempts per AWS call on throttling and server errors (backoff with jitter)
    #[arg(long, global = true, env = "CBCTL_MAX_ATTEMPTS", default_value_t = 6)]
    pub max_attempts: u32,
    /// Seconds to wait for a new IAM role to become usable by CodeBuild/CodePipeline
    #[arg(long, global = true, env = "CBCTL_PROPAGATION_TIMEOUT", default_value_t = 120)]
    pub propagation_timeout: u64,
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
        /// Save the plan to this file, for `cbctl apply FILE`
        #[arg(long, value_name = "PLANFILE")]
        out: Option<std::path::PathBuf>,
    },
    /// Make AWS match the project file (or apply exactly a saved plan)
    Apply {
        /// A plan saved with `plan --out`; refused if AWS changed since
        planfile: Option<std::path::PathBuf>,
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
    Permissions {
        /// Instead, print the service role policy of a project or pipeline (`project.NAME`,
        /// `pipeline.NAME`): the one cbctl generates, or the one a role given by `role.arn` needs
        #[arg(long, value_name = "ADDRESS")]
        role: Option<String>,
        /// With --role: each statement with the key of the project file (file:line:col)
        /// or the buildspec line that made the role need it
        #[arg(long, requires = "role")]
        explain: bool,
    },
    /// Adopt a declared resource that exists in AWS without this stack's tag
    Import {
        /// The resource, as `kind.name` (e.g. parameter./ci/user)
        address: String,
        /// Do not ask for confirmation
        #[arg(long)]
        auto_approve: bool,
    },
    /// Hand a resource over: remove this stack's tag from it and delete nothing
    Release {
        /// The resource, as `kind.name` (e.g. parameter./ci/user)
        address: String,
        /// Do not ask for confirmation
        #[arg(long)]
        auto_approve: bool,
    },
    /// What the stack's projects and pipelines last did: latest build, latest execution
    Status {
        /// Print it as JSON on stdout
        #[arg(long)]
        json: bool,
    },
    /// Start a build (`project.NAME`) or a pipeline execution (`pipeline.NAME`) and follow
    /// it to its end; exit 0 only when it succeeded. Ctrl-C asks whether to stop it
    Run {
        /// `project.NAME` or `pipeline.NAME`
        address: String,
        /// project: the commit, branch or tag to build (default: the project's)
        #[arg(long, value_name = "VERSION")]
        source_version: Option<String>,
        /// project: an environment variable for this build only (repeatable)
        #[arg(long = "env", value_name = "NAME=VALUE")]
        env: Vec<String>,
        /// pipeline: a value for one of its V2 variables (repeatable)
        #[arg(long = "variable", value_name = "NAME=VALUE")]
        variables: Vec<String>,
        /// Print the build or execution id and return without following it
        #[arg(long)]
        no_follow: bool,
    },
    /// Print a build's CloudWatch log: the project's latest build, or the one given
    Logs {
        /// `project.NAME`
        address: String,
        /// The build id (`NAME:UUID`; default: the latest build)
        #[arg(long, value_name = "ID")]
        build: Option<String>,
        /// Keep printing new lines until the build ends
        #[arg(long)]
        follow: bool,
    },
    /// Write a new cbctl.toml (and buildspec.yml) from a template
    Init {
        /// docker-image, test-only or codecommit-pipeline (asked on a terminal)
        #[arg(long)]
        template: Option<String>,
        /// Stack name (default: the directory's name)
        #[arg(long)]
        stack: Option<String>,
        /// AWS region (default: AWS_REGION, else us-east-1)
        #[arg(long = "stack-region", value_name = "REGION")]
        stack_region: Option<String>,
        /// Application / repository name (default: app)
        #[arg(long)]
        name: Option<String>,
        /// docker-image: registry user (default: ci-bot)
        #[arg(long)]
        registry_user: Option<String>,
        /// docker-image: registry host (default: registry.example.com)
        #[arg(long)]
        registry_url: Option<String>,
        /// Overwrite existing files
        #[arg(long)]
        force: bool,
    },
    /// Print the JSON Schema (draft-07) of the project file, for editors
    Schema,
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
    /// Remove the stack's apply/destroy lock left by a run that did not finish
    ForceUnlock {
        /// Do not ask for confirmation
        #[arg(long)]
        auto_approve: bool,
    },
}
