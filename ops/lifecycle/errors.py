"""The one error the lifecycle jobs raise: a sentence naming what failed and what happens next."""


class LifecycleError(RuntimeError):
    pass
