//! State machines of stored items (an invitation; a ticket next). A transition names the states
//! it may start from and the state it leads to; the store turns exactly that into the condition
//! and the change of one conditional write, so the rule lives here once and no state is spelled
//! out again in a condition string.

use std::fmt;

/// A state an item can be in, with the name it is stored under.
pub trait State: Copy + Eq + fmt::Debug + 'static {
    /// Every state, for exhaustive checks.
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    /// Whether nothing may happen to an item in this state any more.
    fn is_terminal(self) -> bool;
}

/// One move of a state machine.
pub trait Transition: Copy + Eq + fmt::Debug + 'static {
    type State: State;

    /// Every transition, for exhaustive checks.
    const ALL: &'static [Self];

    /// The states it may start from; from any other it is refused.
    fn allowed_from(self) -> &'static [Self::State];

    /// The state it leads to; `None` leaves the state as it is (the item only moves in time).
    fn leads_to(self) -> Option<Self::State>;

    fn allows(self, state: Self::State) -> bool {
        self.allowed_from().contains(&state)
    }

    /// The state after this transition, or why not.
    fn apply(self, state: Self::State) -> Result<Self::State, NotAllowed<Self>> {
        if self.allows(state) {
            Ok(self.leads_to().unwrap_or(state))
        } else {
            Err(NotAllowed {
                transition: self,
                state,
            })
        }
    }

    /// The transitions a state allows.
    fn allowed_in(state: Self::State) -> Vec<Self> {
        Self::ALL
            .iter()
            .copied()
            .filter(|t| t.allows(state))
            .collect()
    }
}

/// A transition tried from a state it does not start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAllowed<T: Transition> {
    pub transition: T,
    pub state: T::State,
}

impl<T: Transition> fmt::Display for NotAllowed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not allowed from {}",
            self.transition,
            self.state.as_str()
        )
    }
}
