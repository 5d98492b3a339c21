pub mod customer;
pub mod delivery;
pub mod feedback;
pub mod reference;
pub mod response;
pub mod survey;
pub mod token;
