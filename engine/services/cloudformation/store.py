"""Where stacks live: by id and by name, deleted stacks kept for ListStacks, exports and imports."""

from __future__ import annotations

from engine.errors import ServiceError

from .models import ChangeSet, Stack


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message)


class StackStore:
    """Every stack of the lab (deleted ones too), and the exports stacks share."""

    def __init__(self) -> None:
        self.stacks: dict[str, Stack] = {}  # by stack id, in creation order
        self.live: dict[str, str] = {}  # name → stack id of the stack that is not deleted
        #: export name → (exporting stack id, value)
        self.exports: dict[str, tuple[str, str]] = {}
        #: export name → stack ids that import it
        self.imports: dict[str, set[str]] = {}

    def add(self, stack: Stack) -> None:
        """Keep a new stack."""
        self.stacks[stack.stack_id] = stack
        self.live[stack.name] = stack.stack_id

    def find(self, name_or_id: str) -> Stack | None:
        """The live stack named `name_or_id`, or any stack with that id."""
        stack_id = self.live.get(name_or_id)
        if stack_id is not None:
            return self.stacks[stack_id]
        return self.stacks.get(name_or_id)

    def get(self, name_or_id: str) -> Stack:
        """The stack, or AWS's 'does not exist' error."""
        stack = self.find(name_or_id)
        if stack is None:
            raise _validation(f"Stack with id {name_or_id} does not exist")
        return stack

    def forget_name(self, stack: Stack) -> None:
        """The stack is deleted: its name is free again."""
        if self.live.get(stack.name) == stack.stack_id:
            del self.live[stack.name]

    def change_set(self, name_or_arn: str, stack_name: str | None) -> ChangeSet:
        """A change set by ARN, or by name within a stack."""
        if name_or_arn.startswith("arn:"):
            for stack in self.stacks.values():
                for change_set in stack.change_sets.values():
                    if change_set.arn == name_or_arn:
                        return change_set
            raise ServiceError(
                "ChangeSetNotFound", f"ChangeSet [{name_or_arn}] does not exist", status_code=404
            )
        if not stack_name:
            raise _validation(
                "StackName must be specified if ChangeSetName is not specified as an ARN."
            )
        stack = self.find(stack_name)
        if stack is None:
            raise _validation(f"Stack [{stack_name}] does not exist")
        change_set = stack.change_sets.get(name_or_arn)
        if change_set is None:
            raise ServiceError(
                "ChangeSetNotFound", f"ChangeSet [{name_or_arn}] does not exist", status_code=404
            )
        return change_set

    # -- exports ----------------------------------------------------------------------------
    def import_value(self, name: str) -> str:
        """The value exported under `name` (Fn::ImportValue)."""
        entry = self.exports.get(name)
        if entry is None:
            raise _validation(f"No export named {name} found.")
        return entry[1]

    def claim_exports(self, stack: Stack, exports: dict[str, str]) -> None:
        """Publish the stack's exports; refuse names another stack exports or removing used ones."""
        for name in exports:
            owner = self.exports.get(name)
            if owner is not None and owner[0] != stack.stack_id:
                raise _validation(
                    f"Export with name {name} is already exported by stack {self.stacks[owner[0]].name}"
                )
        for name in stack.exports:
            if name not in exports:
                self.check_unused(name, stack)
        for name in stack.exports:
            self.exports.pop(name, None)
        for name, value in exports.items():
            self.exports[name] = (stack.stack_id, value)
        stack.exports = dict(exports)

    def check_unused(self, name: str, stack: Stack) -> None:
        """Refuse to remove an export another stack imports."""
        users = [s for s in self.imports.get(name, ()) if s != stack.stack_id]
        if users:
            raise _validation(
                f"Cannot delete export {name} as it is in use by {self.stacks[users[0]].name}."
            )

    def release_exports(self, stack: Stack) -> None:
        """The stack is gone: its exports and its imports go with it."""
        for name in stack.exports:
            self.exports.pop(name, None)
        stack.exports = {}
        for users in self.imports.values():
            users.discard(stack.stack_id)

    def record_imports(self, stack: Stack, names: set[str]) -> None:
        """Remember which exports the stack imports (ListImports)."""
        for users in self.imports.values():
            users.discard(stack.stack_id)
        for name in names:
            self.imports.setdefault(name, set()).add(stack.stack_id)
