"""One interface for background work (imports, reindexing, later harvests, OCR, fixity).

A task is a plain function registered with ``@task``; ``task_enqueue`` records a TaskRun row (the
queue and the progress report in one) and hands its id to the configured backend after commit:
a thread in this process by default, or Redis-fed workers (``kitabkhana worker``) for scale.
"""
