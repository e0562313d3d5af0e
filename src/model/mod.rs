//! The bottom layer: what a stack is made of, whoever reads or writes it. The resolved
//! resources (one file per kind, registered once in `kinds`), the values they are
//! described with, where the stack lives, and every name and ARN cbctl generates. It
//! imports nothing else of cbctl, so every other layer can use it.

pub mod bucket;
pub mod document;
pub mod ecr_repository;
pub mod kinds;
pub mod log_group;
pub mod names;
pub mod notification_rule;
pub mod parameter;
pub mod pipeline;
pub mod project;
pub mod repository;
pub mod role;
pub mod rule;
pub mod target;
pub mod topic;
pub mod value;

pub use bucket::Bucket;
pub use ecr_repository::EcrRepository;
pub use kinds::{address, Kind, Resource};
pub use log_group::LogGroup;
pub use notification_rule::{NotificationRule, NotificationTarget};
pub use parameter::{Parameter, ParameterType, ParameterValue};
pub use pipeline::{GitFilter, Pipeline, PipelineAction, PipelineStage, PipelineTrigger, PipelineVariable};
pub use project::{EnvVar, Project};
pub use repository::Repository;
pub use role::Role;
pub use rule::Rule;
pub use target::Target;
pub use topic::{EmailSubscription, Topic};
pub use value::{Attributes, Model, Sensitive, Tags, Value};
