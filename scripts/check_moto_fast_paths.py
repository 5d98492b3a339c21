"""Checks that the emulator's fast paths (moto_fast_paths.py) answer exactly as stock moto.

Runs one DynamoDB workload twice in process, first on stock moto and then with the fast paths
installed, and compares every answer (items, errors, cancellation reasons) and the table left
behind. The workload covers what the fast paths replace: transactions (applied and cancelled),
condition and update expressions with changing values, index queries with pages, items of
every attribute type and one over the size limit, and the reads whose answers they serialise.
Run by `make test`; exits non-zero on the first difference.
"""
import os
import sys

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import moto_fast_paths  # noqa: E402

TABLE = "check"
S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731

EVERY_TYPE = {
    "pk": S("a"),
    "sk": S("1"),
    "g": S("G"),
    "n": N("1.50"),
    "b": {"B": b"\x00\x01\xff"},
    "ss": {"SS": ["x", "y"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"a", b"\x00"]},
    "m": {
        "M": {
            "l": {"L": [S("y"), N(2), {"M": {"z": {"NULL": True}}}, {"B": b"q"}]},
            "empty_map": {"M": {}},
            "empty_list": {"L": []},
        }
    },
    "flag": {"BOOL": False},
    "nothing": {"NULL": True},
    "text": S("é中 ✓"),
    "blank": S(""),
}


def key(pk, sk):
    return {"pk": S(pk), "sk": S(sk)}


def workload():
    """Every answer, in order; errors as their code, message and extra fields."""
    answers = []

    def call(method, **kwargs):
        try:
            answer = getattr(client, method)(**kwargs)
        except ClientError as err:
            answer = dict(err.response)
        answer.pop("ResponseMetadata", None)
        answers.append((method, answer))

    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "g", "due")
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-due",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "due", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        call("put_item", TableName=TABLE, Item=EVERY_TYPE, ReturnValues="ALL_OLD")
        call("put_item", TableName=TABLE, Item=EVERY_TYPE, ReturnValues="ALL_OLD")
        # The size limit: just under, just over, and over only once every attribute is in.
        call("put_item", TableName=TABLE, Item={**key("big", "1"), "v": S("x" * 404_980)})
        call("put_item", TableName=TABLE, Item={**key("big", "2"), "v": S("x" * 405_000)})
        call(
            "put_item",
            TableName=TABLE,
            Item={**key("big", "3"), "a": S("x" * 202_500), "b": S("x" * 202_500)},
        )
        for n in range(12):
            call(
                "put_item",
                TableName=TABLE,
                Item={**key(f"i{n}", "INV"), "g": S("G"), "due": S(f"2026-{n:02}"), "state": S("scheduled"), "n": N(n)},
            )
        # One condition expression, values changing from call to call.
        claim = "#state IN (:scheduled, :sending) AND #due = :seen"
        for n, seen in [(0, "2026-00"), (1, "2026-99"), (0, "2026-00")]:
            call(
                "update_item",
                TableName=TABLE,
                Key=key(f"i{n}", "INV"),
                UpdateExpression="SET #state = :sending, #due = :lease, attempts = if_not_exists(attempts, :zero) + :one REMOVE nothing",
                ConditionExpression=claim,
                ExpressionAttributeNames={"#state": "state", "#due": "due"},
                ExpressionAttributeValues={
                    ":scheduled": S("scheduled"),
                    ":sending": S("sending"),
                    ":seen": S(seen),
                    ":lease": S(f"2027-{n:02}"),
                    ":zero": N(0),
                    ":one": N(1),
                },
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        call(
            "put_item",
            TableName=TABLE,
            Item={**key("i2", "INV"), "state": S("sent")},
            ConditionExpression="attribute_not_exists(pk) OR begins_with(#state, :s)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":s": S("x")},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        # Transactions: applied, cancelled by one condition, and refused outright.
        writes = [
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {**key(f"i{n}", "INV"), "g": S("G"), "due": S(f"2028-{n:02}"), "state": S("sent")},
                    "ConditionExpression": "#state = :scheduled",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {":scheduled": S("scheduled")},
                }
            }
            for n in (3, 4)
        ]
        contact = {
            "Update": {
                "TableName": TABLE,
                "Key": key("c1", "CONTACT"),
                "UpdateExpression": "SET last_invited = :now ADD invites :one",
                "ConditionExpression": "attribute_not_exists(opted_out) AND (attribute_not_exists(last_invited) OR last_invited < :cutoff)",
                "ExpressionAttributeValues": {":now": S("2026-05"), ":one": N(1), ":cutoff": S("2026-04")},
            }
        }
        call("transact_write_items", TransactItems=[*writes, contact])
        call("transact_write_items", TransactItems=[*writes, contact])
        call(
            "transact_write_items",
            TransactItems=[
                {"ConditionCheck": {"TableName": TABLE, "Key": key("i5", "INV"), "ConditionExpression": "attribute_exists(pk)"}},
                {"Delete": {"TableName": TABLE, "Key": key("i6", "INV")}},
                {"Put": {"TableName": TABLE, "Item": {**key("i7", "INV"), "state": S("gone")}, "ConditionExpression": "n > :n", "ExpressionAttributeValues": {":n": N(100)}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            ],
        )
        call("transact_write_items", TransactItems=[{"Delete": {"TableName": TABLE, "Key": key("i8", "INV")}}] * 2)
        # Reads: index pages, a range condition, batch and single gets, a scan.
        start = None
        for _ in range(6):
            page = {"ExclusiveStartKey": start} if start else {}
            call(
                "query",
                TableName=TABLE,
                IndexName="by-due",
                KeyConditionExpression="g = :g AND due <= :now",
                ExpressionAttributeValues={":g": S("G"), ":now": S("2027-06")},
                Limit=4,
                **page,
            )
            start = answers[-1][1].get("LastEvaluatedKey")
            if not start:
                break
        call("query", TableName=TABLE, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b", ExpressionAttributeValues={":p": S("a"), ":a": S("0"), ":b": S("9")}, ReturnConsumedCapacity="TOTAL")
        call("batch_get_item", RequestItems={TABLE: {"Keys": [key("a", "1"), key("i0", "INV"), key("c1", "CONTACT"), key("none", "0")]}})
        call("get_item", TableName=TABLE, Key=key("a", "1"), ProjectionExpression="m.l[2], ss, #t", ExpressionAttributeNames={"#t": "text"})
        call("scan", TableName=TABLE)
    return answers


def main():
    stock = workload()
    moto_fast_paths.install()
    fast = workload()
    assert len(stock) == len(fast), (len(stock), len(fast))
    for n, (a, b) in enumerate(zip(stock, fast)):
        if a != b:
            print(f"answer {n} ({a[0]}) differs:\n stock: {a[1]}\n fast:  {b[1]}", file=sys.stderr)
            sys.exit(1)
    errors = sum(1 for _, answer in stock if "Error" in answer)
    print(f"emulator fast paths: {len(stock)} answers equal to stock moto ({errors} of them errors)")


if __name__ == "__main__":
    main()
