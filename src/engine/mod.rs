//! The third layer: what cbctl does with a file and an account. Resolution (the file →
//! the desired resources), discovery (AWS → the observed ones), the pure planner
//! `plan(desired, observed)`, apply, the stack lock, saved plans and the permissions
//! cbctl needs. It defines the contract the AWS side implements (`adapter`) and never
//! sees an SDK type.

pub mod activity;
pub mod adapter;
pub mod apply;
pub mod error;
pub mod kept;
pub mod lock;
pub mod observe;
pub mod permissions;
pub mod plan;
pub mod policy;
pub mod resolve;
pub mod saved_plan;
pub mod watch;

pub use adapter::{Backend, Facts};
pub use error::AwsError;
pub use plan::{Action, Change, Observed, Plan};
