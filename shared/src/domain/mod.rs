pub mod calendar;
pub mod customer;
pub mod delivery;
pub mod feedback;
pub mod response;
pub mod survey;
pub mod ticket;
pub mod token;
