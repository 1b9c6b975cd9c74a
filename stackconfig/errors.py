"""The one error a bad stack config raises: it names the key, the stack file and what is allowed."""


class ConfigError(ValueError):
    def __init__(self, problems: list[str], stack_file: str) -> None:
        self.problems = problems
        self.stack_file = stack_file
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"invalid stack configuration in {stack_file}:\n{lines}\n"
            f"Fix the value in {stack_file} (or with `pulumi config set`); every key, its type and its default "
            "are documented in the config block of Pulumi.yaml."
        )
