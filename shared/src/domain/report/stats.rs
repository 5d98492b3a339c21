//! The report formulas over exact running sums.
