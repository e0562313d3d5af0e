//! The top drawing layer: the one place that draws output. Plan text and JSON,
//! diagnostics against the project file, live progress, prompts, and the report at the
//! end of apply and destroy. It reads the engine's data and decides nothing.

pub mod diagnostic;
pub mod explain;
pub mod plan;
pub mod progress;
pub mod prompt;
pub mod report;
pub mod status;
pub mod style;
pub mod watch;

pub use style::Style;
