"""Modal dialogs: each a ModalScreen that dismisses with its answer (None when cancelled)."""

from jhs_qual.tui.dialogs.ask import AskMemo, AskText, PickOne
from jhs_qual.tui.dialogs.search import SearchDialog

__all__ = ["AskMemo", "AskText", "PickOne", "SearchDialog"]
