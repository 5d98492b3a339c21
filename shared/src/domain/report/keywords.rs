//! The words of open answers worth counting.
