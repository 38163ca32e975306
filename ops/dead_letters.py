"""Dead letters for operators: list, inspect and redrive what the archive and the DLQ hold.

Where a dead letter can be (docs/app.md, "Dead letters"): in the archive queue, filed by the analyzer with
its class (the normal case), or still in the DLQ (the analyzer has not run yet, is down, or could not
file it). Both are read here; a letter the analyzer is filing at this moment is in flight on the DLQ,
invisible to everyone, and is reported as such (it will be in the archive within a minute).

Reading an SQS queue without consuming it means receiving (which hides a message for the visibility
timeout we ask for) and then making it visible again (ChangeMessageVisibility to 0). Redrive is
receive -> send to the orders queue -> delete from the source, deleting only what the orders queue
accepted: an interruption can duplicate a letter (the idempotency keys absorb it), never lose one.
StartMessageMoveTask is not used: it refuses the archive as a source (it only moves from queues
configured as a DLQ, SQS API reference) and it cannot say how many letters it moved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.dlq import CLASS_ATTRIBUTE, FILING_ATTRIBUTES, MESSAGE_ID_ATTRIBUTE, REASON_ATTRIBUTE

HIDE_SECONDS = 120  # how long a letter we are reading stays hidden from other readers (released after)
WAIT_SECONDS = 1  # long polls (they ask every SQS server) until two come back empty


@dataclass(frozen=True)
class DeadLetter:
    source: str  # "archive" or "dlq"
    message_id: str  # the id it had on the DLQ (the archive keeps it as an attribute)
    cls: str  # the analyzer's class; "unfiled" for a letter still in the DLQ
    reason: str
    body: str
    attributes: dict[str, dict[str, Any]]  # the original message attributes, SendMessage's shape
    sent_at: str  # SentTimestamp (ms since the epoch) on its current queue
    receipt: str = field(repr=False, compare=False)

    def line(self) -> str:
        return f"{self.source:<7} {self.message_id:<36} {self.cls:<10} {self.reason[:70]}"


@dataclass(frozen=True)
class Queues:
    orders: str
    dlq: str
    archive: str


def _letter(source: str, message: dict[str, Any]) -> DeadLetter:
    attrs = dict(message.get("MessageAttributes") or {})
    filing = {name: str(attrs.pop(name, {}).get("StringValue", "")) for name in FILING_ATTRIBUTES}
    return DeadLetter(
        source=source,
        message_id=filing[MESSAGE_ID_ATTRIBUTE] or message["MessageId"],
        cls=filing[CLASS_ATTRIBUTE] or "unfiled",
        reason=filing[REASON_ATTRIBUTE] or ("not yet filed by the analyzer" if source == "dlq" else ""),
        body=message.get("Body", ""),
        attributes=attrs,
        sent_at=str((message.get("Attributes") or {}).get("SentTimestamp", "")),
        receipt=message["ReceiptHandle"],
    )


def _receive_all(sqs: Any, url: str, source: str, limit: int | None = None) -> Iterator[list[DeadLetter]]:
    """Batches of up to 10 letters until the queue answers empty twice (long polls reach every server)."""
    seen, empty = 0, 0
    while empty < 2 and (limit is None or seen < limit):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10 if limit is None else min(10, limit - seen),
            WaitTimeSeconds=WAIT_SECONDS, VisibilityTimeout=HIDE_SECONDS,
            MessageAttributeNames=["All"], AttributeNames=["SentTimestamp"],
        ).get("Messages", [])
        if not messages:
            empty += 1
            continue
        empty = 0
        seen += len(messages)
        yield [_letter(source, m) for m in messages]


def _release(sqs: Any, url: str, letters: list[DeadLetter]) -> None:
    """Make letters we only looked at visible again at once."""
    for start in range(0, len(letters), 10):
        sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": letter.receipt, "VisibilityTimeout": 0}
            for i, letter in enumerate(letters[start : start + 10])
        ])


def in_flight(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    return int(attrs["Attributes"].get("ApproximateNumberOfMessagesNotVisible", 0))


def list_letters(sqs: Any, queues: Queues) -> list[DeadLetter]:
    """Every visible letter of the archive and the DLQ, left where it was."""
    found: list[DeadLetter] = []
    for source, url in (("archive", queues.archive), ("dlq", queues.dlq)):
        letters: list[DeadLetter] = []
        try:
            for batch in _receive_all(sqs, url, source):
                letters += batch
        finally:
            _release(sqs, url, letters)
        found += letters
    return found


def find(sqs: Any, queues: Queues, message_id: str) -> DeadLetter | None:
    return next((letter for letter in list_letters(sqs, queues) if letter.message_id == message_id), None)


@dataclass
class RedriveResult:
    moved: Counter = field(default_factory=Counter)  # class -> letters now in the orders queue
    refused: int = 0  # the orders queue did not accept them: still where they were
    skipped: int = 0  # not of the class asked for: left where they were
    dlq_in_flight: int = 0  # being filed by the analyzer right now: run again in a minute

    def summary(self) -> str:
        by_class = ", ".join(f"{cls} {n}" for cls, n in sorted(self.moved.items())) or "none"
        text = f"moved {sum(self.moved.values())} dead letters to the orders queue ({by_class})"
        if self.skipped:
            text += f"; {self.skipped} of other classes left in place"
        if self.refused:
            text += f"; {self.refused} refused by the orders queue, left in place"
        if self.dlq_in_flight:
            text += f"; {self.dlq_in_flight} in flight on the DLQ (being filed): run again in a minute"
        return text


def redrive(
    sqs: Any, queues: Queues, *, classes: set[str] | None = None, max_messages: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> RedriveResult:
    """Move the archive's and the DLQ's letters (of ``classes``, default all) to the orders queue."""
    result = RedriveResult()
    for source, url in (("archive", queues.archive), ("dlq", queues.dlq)):
        left = None if max_messages is None else max_messages - sum(result.moved.values())
        if left is not None and left <= 0:
            break
        _redrive_queue(sqs, url, source, queues.orders, classes, left, result)
        if progress:
            progress(f"{source}: {sum(result.moved.values())} moved so far")
    result.dlq_in_flight = in_flight(sqs, queues.dlq)
    return result


def _redrive_queue(sqs: Any, url: str, source: str, orders_url: str, classes: set[str] | None,
                   limit: int | None, result: RedriveResult) -> None:
    """Move one queue's letters; whatever was received and not moved is made visible again, even when
    SQS fails half way (so a failed redrive leaves every letter where `invoke dlq.list` sees it)."""
    hidden: list[DeadLetter] = []
    try:
        for batch in _receive_all(sqs, url, source, limit):
            hidden += batch
            wanted = [x for x in batch if classes is None or x.cls in classes]
            result.skipped += len(batch) - len(wanted)
            accepted = _send(sqs, orders_url, wanted)
            result.refused += len(wanted) - len(accepted)
            if accepted:
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": x.receipt} for i, x in enumerate(accepted)])
            moved = {id(x) for x in accepted}  # by identity: two duplicates of a letter compare equal
            hidden = [x for x in hidden if id(x) not in moved]
            result.moved.update(x.cls for x in accepted)
    finally:
        _release(sqs, url, hidden)


def _send(sqs: Any, orders_url: str, letters: list[DeadLetter]) -> list[DeadLetter]:
    """Send letters as they were first sent (body and attributes); return those the queue accepted."""
    if not letters:
        return []
    entries = [{"Id": str(i), "MessageBody": x.body, **({"MessageAttributes": x.attributes} if x.attributes else {})}
               for i, x in enumerate(letters)]
    sent = sqs.send_message_batch(QueueUrl=orders_url, Entries=entries)
    return [letters[int(ok["Id"])] for ok in sent.get("Successful", [])]
