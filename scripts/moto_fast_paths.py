"""Faster, equivalent code paths for the local emulator (moto), installed by emulator.py.

Each replaces work moto repeats per request with the same result computed once; none changes
what a request answers or what the tables hold.

- **TransactWriteItems.** moto backs up a transaction by deep-copying every table it touches
  (all items and the whole stream history) on every call, so each transaction costs O(table)
  time and memory: thousands of transactions on a table of thousands of items took minutes
  and tens of GB. With requests serialised (see emulator.py) nothing can interleave, so the
  same all-or-nothing result comes from checking every condition first and then applying,
  backing up only the touched items in case applying one fails validation midway.
- **Expressions parsed once.** moto parses a condition or update expression two or three
  times per item (the handler validates, the backend parses again), although clients send
  the same few expressions with different values. The parse of a condition is kept per
  (expression, attribute names) with its values left as placeholders and bound on each use;
  the tree of an update expression is kept per expression and copied for each use (moto's
  validator copies it before filling it in, so the kept tree is never changed).
- **Index queries without sorting the table.** A query on a secondary index filters every
  item and then sorts the matches by the index key; moto also sorted the whole table first,
  which only costs time (the matches are sorted again, and keys are unique). The matches are
  sorted by their key values computed once per item: moto compared its attribute wrappers,
  which convert their values again on every comparison, so a query's cost grew with the size
  of its partition several times over, where DynamoDB reads only the page it returns. Key
  attributes have one type each, so the order is the same.
- **Item size checked once.** moto checks an item's 400 KB limit as each attribute is added,
  summing the sizes of all attributes so far every time: O(attributes²) per item written, so
  a realistic 20-attribute item cost many times a 3-attribute one. Sizes are positive, so
  one check of the total when the item is built refuses exactly the items the running check
  refused, with the same error.
- **Attribute values serialised by the members they have.** moto's response serialiser
  looks up every member an AttributeValue could have (S, N, B, SS, NS, BS, M, L, NULL,
  BOOL), each under several spellings, for every value of every item it returns: reads
  cost several times what the same items cost to write. An AttributeValue holds exactly one
  of them, so only the members present are serialised, in the same order, by the same code.
"""
import copy
import pickle
from typing import Any

from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.comparisons import (
    AttributeValue,
    ConditionExpressionParser,
    get_filter_expression,
)
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing.expressions import UpdateExpressionParser

# Kept parses; cleared when full (clients use a handful of expressions).
_CACHE_LIMIT = 4096


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    seen: set[tuple[str, str]] = set()
    plan = []
    errors: list[tuple[Any, Any, Any]] = []
    # 1. Every condition against the state before the transaction; nothing is written yet.
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        original_item = None
        try:
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            key = _key_of(self, op_type, op)
            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in seen:
                raise MultipleTransactionsException()
            seen.add(unique)
            plan.append((op_type, op, table_name, key))
            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                check = get_filter_expression(
                    condition,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                )
                if not check.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))
        except Exception as e:  # noqa: BLE001 - reported per item, as DynamoDB does
            errors.append((type(e).__name__, str(e), original_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    # 2. Apply, keeping the touched items to undo a write that fails validation.
    backups = [
        (table_name, key, copy.deepcopy(self.get_item(table_name, key)))
        for op_type, _, table_name, key in plan
        if op_type != "ConditionCheck"
    ]
    try:
        for op_type, op, table_name, key in plan:
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(table_name, op["Item"], expression_attribute_names=names,
                              expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(table_name, key, expression_attribute_names=names,
                                 expression_attribute_values=values)
            elif op_type == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                 expression_attribute_names=names,
                                 expression_attribute_values=values)
    except Exception:
        for table_name, key, old in backups:
            if old is None:
                if self.get_item(table_name, key) is not None:
                    self.delete_item(table_name, key)
            else:
                self.put_item(table_name, old.to_json()["Attributes"])
        raise


class _Placeholders(dict):
    """Expression attribute values that answer with their own placeholder (`:name`)."""

    def __getitem__(self, name: str) -> str:
        return name


_conditions: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Any, list[str], list[str]]] = {}
_original_condition_parse = ConditionExpressionParser.parse


def _condition_tree(parser: ConditionExpressionParser) -> Any:
    """The syntax tree of a condition, as moto's parse builds it, before values are bound."""
    nodes = parser._lex_condition_expression()
    nodes = parser._parse_paths(nodes)
    nodes = parser._apply_functions(nodes)
    nodes = parser._apply_comparator(nodes)
    nodes = parser._apply_in(nodes)
    nodes = parser._apply_between(nodes)
    nodes = parser._apply_parens_and_booleans(nodes)
    node = nodes[0]
    parser._assert_no_redundant_parentheses(node)
    return node


def _parse_condition(self: ConditionExpressionParser) -> Any:
    if not self.condition_expression:
        return _original_condition_parse(self)
    names = self.expression_attribute_names or {}
    key = (self.condition_expression, tuple(sorted(names.items())))
    kept = _conditions.get(key)
    if kept is None:
        shape = ConditionExpressionParser(self.condition_expression, names, _Placeholders())
        tree = _condition_tree(shape)
        kept = (tree, shape._find_literals(tree), shape._find_expr_attr_values(tree))
        if len(_conditions) >= _CACHE_LIMIT:
            _conditions.clear()
        _conditions[key] = kept
    tree, names_found, values_found = kept
    for placeholder in values_found:
        self._lookup_expression_attribute_value(placeholder)  # KeyError, as moto raises
    self.expr_attr_names_found.extend(names_found)
    self.expr_attr_values_found.extend(values_found)
    return self._make_op_condition(tree)


_original_make_operand = ConditionExpressionParser._make_operand


def _make_operand(self: ConditionExpressionParser, node: Any) -> Any:
    if node.kind == self.Kind.EXPRESSION_ATTRIBUTE_VALUE:
        # Bound here from the placeholder (the node's text), so a kept tree serves any values.
        return AttributeValue(self._lookup_expression_attribute_value(node.text))
    return _original_make_operand(self, node)


_updates: dict[str, Any] = {}
_original_update_make = UpdateExpressionParser.make.__func__


def _make_update(cls: type, expression_str: str) -> Any:
    tree = _updates.get(expression_str)
    if tree is None:
        tree = _original_update_make(cls, expression_str)
        blob = pickle.dumps(tree)
        # Every user copies the tree before changing it; a copy is an unpickling, not a walk.
        tree.__deepcopy__ = lambda memo, blob=blob: pickle.loads(blob)
        if len(_updates) >= _CACHE_LIMIT:
            _updates.clear()
        _updates[expression_str] = tree
    return tree


_original_all_items = Table.all_items
_original_query = Table.query


def _all_items(self: Table) -> list[Any]:
    if getattr(self, "_unsorted_scan", False):
        items: list[Any] = []
        for hash_set in self.items.values():
            if self.range_key_attr:
                items.extend(hash_set.values())
            else:
                items.append(hash_set)
        return items
    return _original_all_items(self)


def _sorted_items(
    self: Table, hash_key_attrs: list[str], range_key_attrs: list[Any], items: list[Any]
) -> list[Any]:
    attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)

    def value(attribute: Any) -> Any:
        # A string's cast value is the string itself.
        return attribute.value if attribute.type == "S" else attribute.cast_value

    items.sort(key=lambda item: tuple([value(item.attrs[name]) for name in attrs]))
    return items


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    index_name = kwargs.get("index_name", args[7] if len(args) > 7 else None)
    if not index_name:
        return _original_query(self, *args, **kwargs)
    self._unsorted_scan = True
    try:
        return _original_query(self, *args, **kwargs)
    finally:
        self._unsorted_scan = False


# moto's limit (between the documented 400 KB and the 409-410 KB measured on AWS).
_ITEM_SIZE_LIMIT = 405000


def _item_init(
    self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]
) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    converted = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(converted)
    size = 0
    for key, value in attrs.items():
        value = DynamoType(value)
        size += bytesize(key) + value.size()
        dict.__setitem__(converted, key, value)
    if size > _ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = converted


_original_json_structure = BaseJSONSerializer._serialize_type_structure


def _serialize_json_structure(
    self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str
) -> None:
    # Only where skipping absent members cannot change the result: a plain dict whose keys
    # are all members' own names (so no member is spelt another way) and no transformer that
    # could turn an absent member into a value.
    if (
        shape.name != "AttributeValue"
        or type(value) is not dict
        or not value.keys() <= shape.members.keys()
        or getattr(self._value_picker, "response_transformers", None)
    ):
        _original_json_structure(self, serialized, value, shape, key)
        return
    wrapper = self.MAP_TYPE() if key else serialized
    for member_key, member_shape in shape.members.items():
        if member_key in value:
            member_shape.parent = shape
            self._serialize_structure_member(wrapper, value, member_shape, member_key)
    if key:
        self._default_serialize(serialized, wrapper, shape, key)


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items
    ConditionExpressionParser.parse = _parse_condition
    ConditionExpressionParser._make_operand = _make_operand
    UpdateExpressionParser.make = classmethod(_make_update)
    Table.all_items = _all_items
    Table.query = _query
    Table.sorted_items = _sorted_items
    Item.__init__ = _item_init
    BaseJSONSerializer._serialize_type_structure = _serialize_json_structure
