"""The codebooks as a tree: each code with its colour, shortcut key and live count."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree


class CodeTree(Tree):
    """Codebooks at the top, codes under them (children under their parent code)."""

    class CodeHighlighted(Message):
        def __init__(self, code: dict | None) -> None:
            self.code = code
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__("Codebooks", **kwargs)
        self.show_root = False
        self.codes: list[dict] = []
        self._code_nodes: dict[int, object] = {}

    def load(self, codebooks: list[dict], codes: list[dict], counts: dict[int, int]) -> None:
        self.clear()
        self.codes = codes
        self._code_nodes = {}
        for book in codebooks:
            branch = self.root.add(Text(book["title"], style="bold"), expand=True, data=None)
            parents: dict[str, object] = {}
            for code in (c for c in codes if c["codebook_id"] == book["id"]):
                under = parents.get(code["parent"], branch) if code["parent"] else branch
                node = under.add(self._label(code, counts.get(code["id"], 0)), expand=True, data=code)
                node.allow_expand = False
                parents[code["code_id"]] = node
                self._code_nodes[code["id"]] = node
            for node in parents.values():
                node.allow_expand = bool(node.children)

    def update_counts(self, counts: dict[int, int]) -> None:
        for code in self.codes:
            node = self._code_nodes.get(code["id"])
            if node is not None:
                node.set_label(self._label(code, counts.get(code["id"], 0)))

    @staticmethod
    def _label(code: dict, count: int) -> Text:
        text = Text()
        text.append(" ● ", style=code["colour"])
        text.append(f"[{code['key']}] " if code["key"] else "    ", style="bold")
        text.append(code["label_nl"])
        text.append(f"  {count}", style="dim")
        return text

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        event.stop()
        self.post_message(self.CodeHighlighted(event.node.data))
