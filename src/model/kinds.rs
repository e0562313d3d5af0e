//! The registry of resource kinds: every kind a stack can hold is one line of `kinds!`
//! below, naming its model type, its address word and its tier. From that line come the
//! `Kind` and `Resource` enums and their dispatch, so the planner, the renderers, saved
//! plans and the apply order reach every kind without a match of their own; the AWS side
//! answers `aws::adapter(kind)`, whose match the compiler checks is complete.
//!
//! The tier is the one source of apply order: a kind is created after every kind of a
//! lower tier and deleted before them (see `engine::plan::phase`).

use super::value::{Attributes, Model, Tags};

macro_rules! kinds {
    ($($variant:ident($ty:ty) = $word:literal, tier $tier:literal;)*) => {
        /// A kind of resource, as it appears in addresses (`role.NAME`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $($variant),*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => $word),*
                }
            }

            /// Apply order: created after every lower tier, deleted before them.
            pub fn tier(self) -> u8 {
                match self {
                    $(Kind::$variant => $tier),*
                }
            }
        }

        /// One resource of any kind, resolved from the file or read from AWS.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub enum Resource {
            $($variant($ty)),*
        }

        impl Resource {
            pub fn kind(&self) -> Kind {
                match self {
                    $(Resource::$variant(_) => Kind::$variant),*
                }
            }

            fn model(&self) -> &dyn Model {
                match self {
                    $(Resource::$variant(r) => r),*
                }
            }

            fn model_mut(&mut self) -> &mut dyn Model {
                match self {
                    $(Resource::$variant(r) => r),*
                }
            }
        }

        $(impl From<$ty> for Resource {
            fn from(r: $ty) -> Self {
                Resource::$variant(r)
            }
        })*
    };
}

kinds! {
    Role(super::role::Role) = "role", tier 0;
    Parameter(super::parameter::Parameter) = "parameter", tier 1;
    Repository(super::repository::Repository) = "repository", tier 1;
    Bucket(super::bucket::Bucket) = "bucket", tier 1;
    Project(super::project::Project) = "project", tier 2;
    Pipeline(super::pipeline::Pipeline) = "pipeline", tier 3;
    Rule(super::rule::Rule) = "rule", tier 4;
    LogGroup(super::log_group::LogGroup) = "log_group", tier 1;
    EcrRepository(super::ecr_repository::EcrRepository) = "ecr_repository", tier 1;
    Topic(super::topic::Topic) = "topic", tier 1;
    NotificationRule(super::notification_rule::NotificationRule) = "notification_rule", tier 4;
}

impl Resource {
    pub fn name(&self) -> &str {
        self.model().name()
    }

    pub fn tags(&self) -> &Tags {
        self.model().tags()
    }

    pub fn tags_mut(&mut self) -> &mut Tags {
        self.model_mut().tags_mut()
    }

    pub fn attributes(&self) -> Attributes {
        self.model().attributes()
    }

    pub fn replace_on(&self) -> &'static [&'static str] {
        self.model().replace_on()
    }

    /// `kind.name`, as plans and commands name resources.
    pub fn address(&self) -> String {
        address(self.kind(), self.name())
    }
}

pub fn address(kind: Kind, name: &str) -> String {
    format!("{}.{name}", kind.as_str())
}
