"""A trie of topic binding patterns: matching cost follows the routing key, not the binding count."""

from __future__ import annotations

from typing import Any


class _Node:
    __slots__ = ("bindings", "children")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.bindings: list[Any] = []


def split_key(key: str) -> list[str]:
    """A routing key or pattern as words (RabbitMQ: the empty key has no words)."""
    return key.split(".") if key else []


class TopicTrie:
    """Binding patterns (`*` one word, `#` zero or more) keyed word by word."""

    def __init__(self) -> None:
        self._root = _Node()

    def add(self, pattern: str, binding: Any) -> None:
        """Index `binding` under `pattern`."""
        node = self._root
        for word in split_key(pattern):
            child = node.children.get(word)
            if child is None:
                child = node.children[word] = _Node()
            node = child
        node.bindings.append(binding)

    def remove(self, pattern: str, binding: Any) -> None:
        """Forget `binding` under `pattern`, pruning nodes left empty."""
        path = [self._root]
        words = split_key(pattern)
        for word in words:
            child = path[-1].children.get(word)
            if child is None:
                return
            path.append(child)
        leaf = path[-1]
        if binding in leaf.bindings:
            leaf.bindings.remove(binding)
        for depth in range(len(words), 0, -1):
            node = path[depth]
            if node.bindings or node.children:
                break
            del path[depth - 1].children[words[depth - 1]]

    def match(self, key: str) -> list[Any]:
        """Every binding whose pattern matches `key`, each once."""
        words = split_key(key)
        found: dict[int, Any] = {}
        seen: set[tuple[int, int]] = set()
        count = len(words)
        stack: list[tuple[_Node, int]] = [(self._root, 0)]
        while stack:
            node, at = stack.pop()
            mark = (id(node), at)
            if mark in seen:
                continue
            seen.add(mark)
            children = node.children
            if at == count:
                for binding in node.bindings:
                    found[id(binding)] = binding
            else:
                child = children.get(words[at])
                if child is not None:
                    stack.append((child, at + 1))
                star = children.get("*")
                if star is not None:
                    stack.append((star, at + 1))
            hash_node = children.get("#")
            if hash_node is not None:
                # `#` swallows zero or more words: try every remaining suffix.
                for rest in range(at, count + 1):
                    stack.append((hash_node, rest))
        return list(found.values())
