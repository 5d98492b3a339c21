pub mod survey;
pub mod token;
