"""The Salesforce sandbox: Account, Contact, Opportunity, Lead and Case, SOQL queries over REST,
sObject create/update/delete, describe, and change data capture events (`<Object>ChangeEvent`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from .base import FieldSpec, ObjectSpec, Pools, SaasApp, SaasError, Table
from .http import Reply

API_VERSION = "v59.0"
#: Records per page of a query result (Salesforce's default batch size).
QUERY_BATCH = 2000
#: Query cursors kept for nextRecordsUrl (the oldest is dropped past this).
MAX_CURSORS = 64

STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)
#: Default probability of each stage, as a new Salesforce org has it.
STAGE_PROBABILITY = dict(zip(STAGES, (10, 10, 20, 50, 60, 70, 75, 90, 100, 0), strict=True))
INDUSTRIES = (
    "Agriculture",
    "Banking",
    "Biotechnology",
    "Communications",
    "Education",
    "Energy",
    "Finance",
    "Healthcare",
    "Insurance",
    "Manufacturing",
    "Retail",
    "Technology",
)
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
#: Key prefixes Salesforce gives each object's ids.
KEY_PREFIX = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Lead": "00Q",
    "Case": "500",
}
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _audit(name: str) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("OwnerId", "Owner ID", "reference"),
        FieldSpec("CreatedDate", "Created Date", "datetime", writable=False, timestamp=True),
        FieldSpec(
            "LastModifiedDate", "Last Modified Date", "datetime", writable=False, timestamp=True
        ),
        FieldSpec("SystemModstamp", "System Modstamp", "datetime", writable=False, timestamp=True),
        FieldSpec("IsDeleted", "Deleted", "boolean", writable=False),
    )


def _id_field() -> FieldSpec:
    return FieldSpec("Id", "Record ID", "id", primary=True, writable=False, nullable=False)


OBJECTS = (
    ObjectSpec(
        "Account",
        "Account",
        (
            _id_field(),
            FieldSpec("Name", "Account Name", nullable=False),
            FieldSpec(
                "Type",
                "Account Type",
                "picklist",
                values=("Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"),
            ),
            FieldSpec("Industry", "Industry", "picklist", values=INDUSTRIES),
            FieldSpec("AnnualRevenue", "Annual Revenue", "currency"),
            FieldSpec("NumberOfEmployees", "Employees", "int"),
            FieldSpec("Phone", "Account Phone", "phone"),
            FieldSpec("Website", "Website", "url"),
            FieldSpec("BillingCity", "Billing City"),
            FieldSpec("BillingState", "Billing State/Province"),
            *_audit("Account"),
        ),
        "LastModifiedDate",
        "CreatedDate",
    ),
    ObjectSpec(
        "Contact",
        "Contact",
        (
            _id_field(),
            FieldSpec("AccountId", "Account ID", "reference"),
            FieldSpec("FirstName", "First Name"),
            FieldSpec("LastName", "Last Name", nullable=False),
            FieldSpec("Email", "Email", "email"),
            FieldSpec("Phone", "Business Phone", "phone"),
            FieldSpec("Title", "Title"),
            FieldSpec("MailingCity", "Mailing City"),
            *_audit("Contact"),
        ),
        "LastModifiedDate",
        "CreatedDate",
    ),
    ObjectSpec(
        "Opportunity",
        "Opportunity",
        (
            _id_field(),
            FieldSpec("AccountId", "Account ID", "reference"),
            FieldSpec("Name", "Name", nullable=False),
            FieldSpec("StageName", "Stage", "picklist", nullable=False, values=STAGES),
            FieldSpec("Amount", "Amount", "currency"),
            FieldSpec("Probability", "Probability (%)", "percent"),
            FieldSpec("CloseDate", "Close Date", "date", nullable=False),
            FieldSpec(
                "Type",
                "Opportunity Type",
                "picklist",
                values=("New Business", "Existing Business"),
            ),
            FieldSpec("LeadSource", "Lead Source", "picklist", values=LEAD_SOURCES),
            FieldSpec("IsClosed", "Closed", "boolean", writable=False),
            FieldSpec("IsWon", "Won", "boolean", writable=False),
            *_audit("Opportunity"),
        ),
        "LastModifiedDate",
        "CreatedDate",
    ),
    ObjectSpec(
        "Lead",
        "Lead",
        (
            _id_field(),
            FieldSpec("FirstName", "First Name"),
            FieldSpec("LastName", "Last Name", nullable=False),
            FieldSpec("Company", "Company", nullable=False),
            FieldSpec("Title", "Title"),
            FieldSpec("Email", "Email", "email"),
            FieldSpec("Phone", "Phone", "phone"),
            FieldSpec(
                "Status",
                "Lead Status",
                "picklist",
                values=(
                    "Open - Not Contacted",
                    "Working - Contacted",
                    "Closed - Converted",
                    "Closed - Not Converted",
                ),
            ),
            FieldSpec("LeadSource", "Lead Source", "picklist", values=LEAD_SOURCES),
            FieldSpec("Rating", "Rating", "picklist", values=("Hot", "Warm", "Cold")),
            FieldSpec("AnnualRevenue", "Annual Revenue", "currency"),
            *_audit("Lead"),
        ),
        "LastModifiedDate",
        "CreatedDate",
    ),
    ObjectSpec(
        "Case",
        "Case",
        (
            _id_field(),
            FieldSpec("CaseNumber", "Case Number", writable=False),
            FieldSpec("AccountId", "Account ID", "reference"),
            FieldSpec("ContactId", "Contact ID", "reference"),
            FieldSpec("Subject", "Subject"),
            FieldSpec("Description", "Description", "textarea"),
            FieldSpec(
                "Status", "Status", "picklist", values=("New", "Working", "Escalated", "Closed")
            ),
            FieldSpec("Priority", "Priority", "picklist", values=("High", "Medium", "Low")),
            FieldSpec("Origin", "Case Origin", "picklist", values=("Phone", "Email", "Web")),
            *_audit("Case"),
        ),
        "LastModifiedDate",
        "CreatedDate",
    ),
)


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce id: key prefix, pod, base-62 number and the case-safe suffix."""
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    base = prefix + "Dn" + digits.rjust(10, "0")
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, char in enumerate(base[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << i
        suffix += _SUFFIX_CHARS[bits]
    return base + suffix


def sf_time(when: float) -> str:
    """Salesforce's datetime format: 2026-12-08T02:51:11.000+0000."""
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_sf_time(text: str) -> float:
    """Epoch seconds of a Salesforce or ISO 8601 datetime literal."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif re.search(r"[+-]\d{4}$", value):
        value = value[:-2] + ":" + value[-2:]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SaasError(f"invalid datetime {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


_SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CONDITION = re.compile(
    r"^\s*(\w+)\s*(=|!=|<>|<=|>=|<|>|\bLIKE\b)\s*('(?:[^'\\]|\\.)*'|[^\s]+)\s*$", re.IGNORECASE
)


class Salesforce(SaasApp):
    """A Salesforce org with the standard sales and service objects."""

    key = "salesforce"
    label = "Salesforce"
    connector_type = "Salesforce"
    properties_key = "Salesforce"
    rate_limit = (1000, 1.0)
    objects = OBJECTS

    def __init__(self, clock: Any) -> None:
        super().__init__(clock)
        self.cursors: dict[str, tuple[list[dict], int]] = {}
        self.owner_id = salesforce_id("005", 1)

    def new_id(self, table: Table) -> str:
        return salesforce_id(KEY_PREFIX[table.spec.name], self.next_number(table.spec.name))

    def stamp(self, when: float) -> str:
        return sf_time(when)

    def derive(self, table: Table, record: dict[str, Any]) -> None:
        record["SystemModstamp"] = record["LastModifiedDate"]
        record["IsDeleted"] = False
        if record.get("OwnerId") is None:
            record["OwnerId"] = self.owner_id
        name = table.spec.name
        if name == "Opportunity":
            stage = record.get("StageName")
            record["IsClosed"] = stage in ("Closed Won", "Closed Lost")
            record["IsWon"] = stage == "Closed Won"
            record["Probability"] = float(STAGE_PROBABILITY.get(stage, 0))
        elif name == "Case" and record.get("CaseNumber") is None:
            record["CaseNumber"] = f"{1000 + self.next_number('CaseNumber'):08d}"
            record["Status"] = record.get("Status") or "New"
        elif name == "Lead":
            record["Status"] = record.get("Status") or "Open - Not Contacted"

    # -- seed data ---------------------------------------------------------------------------
    def seed(self, pools: Pools) -> None:
        rng = self.random
        now = self.clock.now()
        start = now - 90 * 86400
        accounts = []
        for i in range(40):
            city, state = rng.choice(pools.cities)
            company = pools.companies[i % len(pools.companies)]
            record = self.create(
                "Account",
                {
                    "Name": company,
                    "Type": rng.choice(("Prospect", "Customer - Direct", "Partner")),
                    "Industry": rng.choice(INDUSTRIES),
                    "AnnualRevenue": float(rng.randrange(1, 500) * 100000),
                    "NumberOfEmployees": rng.randrange(10, 20000),
                    "Phone": rng.choice(pools.phones),
                    "Website": "https://www." + pools.domains[i % len(pools.domains)],
                    "BillingCity": city,
                    "BillingState": state,
                },
                when=start + i * 3600,
            )
            accounts.append(record)
        self.add_contacts(pools, accounts, 80, start + 2 * 86400)
        self.add_opportunities(pools, accounts, 60, start + 5 * 86400)
        self.add_leads(pools, 40, start + 10 * 86400)
        self.add_cases(pools, accounts, 30, start + 20 * 86400)

    def add_contacts(self, pools: Pools, accounts: list[dict], count: int, at: float) -> None:
        """Create `count` contacts spread over the accounts, one a minute from `at`."""
        rng = self.random
        for i in range(count):
            first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
            account = accounts[i % len(accounts)]
            domain = account["Website"].removeprefix("https://www.")
            self.create(
                "Contact",
                {
                    "AccountId": account["Id"],
                    "FirstName": first,
                    "LastName": last,
                    "Email": f"{first}.{last}@{domain}".lower(),
                    "Phone": rng.choice(pools.phones),
                    "Title": rng.choice(pools.jobs),
                    "MailingCity": account["BillingCity"],
                },
                when=at + i * 60,
            )

    def add_opportunities(self, pools: Pools, accounts: list[dict], count: int, at: float):
        """Create `count` opportunities, one an hour from `at`."""
        rng = self.random
        for i in range(count):
            account = accounts[rng.randrange(len(accounts))]
            close = datetime.fromtimestamp(at, UTC) + timedelta(days=rng.randrange(10, 120))
            self.create(
                "Opportunity",
                {
                    "AccountId": account["Id"],
                    "Name": f"{account['Name']} - {rng.choice(pools.catch_phrases)}"[:120],
                    "StageName": rng.choice(STAGES[:8]),
                    "Amount": float(rng.randrange(5, 500) * 1000),
                    "CloseDate": close.date().isoformat(),
                    "Type": rng.choice(("New Business", "Existing Business")),
                    "LeadSource": rng.choice(LEAD_SOURCES),
                },
                when=at + i * 3600,
            )

    def add_leads(self, pools: Pools, count: int, at: float) -> None:
        """Create `count` leads, one every ten minutes from `at`."""
        rng = self.random
        for i in range(count):
            first, last = rng.choice(pools.first_names), rng.choice(pools.last_names)
            self.create(
                "Lead",
                {
                    "FirstName": first,
                    "LastName": last,
                    "Company": rng.choice(pools.companies),
                    "Title": rng.choice(pools.jobs),
                    "Email": f"{first[0]}{last}@{rng.choice(pools.domains)}".lower(),
                    "Phone": rng.choice(pools.phones),
                    "LeadSource": rng.choice(LEAD_SOURCES),
                    "Rating": rng.choice(("Hot", "Warm", "Cold")),
                    "AnnualRevenue": float(rng.randrange(1, 100) * 50000),
                },
                when=at + i * 600,
            )

    def add_cases(self, pools: Pools, accounts: list[dict], count: int, at: float) -> None:
        """Create `count` cases, one every half hour from `at`."""
        rng = self.random
        for i in range(count):
            account = accounts[rng.randrange(len(accounts))]
            self.create(
                "Case",
                {
                    "AccountId": account["Id"],
                    "Subject": rng.choice(pools.sentences)[:80],
                    "Description": " ".join(rng.sample(pools.sentences, 3)),
                    "Status": rng.choice(("New", "Working", "Escalated", "Closed")),
                    "Priority": rng.choice(("High", "Medium", "Low")),
                    "Origin": rng.choice(("Phone", "Email", "Web")),
                },
                when=at + i * 1800,
            )

    def random_change(self, object_name: str) -> dict[str, Any]:
        rng = self.random
        name = self.table(object_name).spec.name
        if name == "Opportunity":
            return {"StageName": rng.choice(STAGES), "Amount": float(rng.randrange(5, 500) * 1000)}
        if name == "Case":
            return {"Status": rng.choice(("Working", "Escalated", "Closed"))}
        if name == "Lead":
            return {"Rating": rng.choice(("Hot", "Warm", "Cold"))}
        if name == "Account":
            return {"NumberOfEmployees": rng.randrange(10, 20000)}
        return {"Title": rng.choice(("Director", "VP Sales", "Engineer", "Manager"))}

    # -- change data capture ------------------------------------------------------------------
    def change_event(
        self, kind: str, object_name: str, record_id: str, record: dict, fields: list[str]
    ) -> dict[str, Any]:
        """The `<Object>ChangeEvent` Salesforce publishes for one change (CDC's shape)."""
        number = self.next_number("commit")
        header = {
            "entityName": object_name,
            "recordIds": [record_id],
            "changeType": kind,
            "changeOrigin": "com/salesforce/api/rest/" + API_VERSION[1:],
            "transactionKey": f"{number:08x}-0000-4000-8000-{record_id[-12:].lower():0>12}",
            "sequenceNumber": 1,
            "commitTimestamp": int(self.clock.now() * 1000),
            "commitNumber": 10_000_000 + number,
            "commitUser": self.owner_id,
            "changedFields": list(fields) + (["LastModifiedDate"] if kind == "UPDATE" else []),
        }
        event: dict[str, Any] = {"ChangeEventHeader": header}
        if kind == "CREATE":
            event.update({k: v for k, v in record.items() if k != "Id" and v is not None})
        elif kind == "UPDATE":
            for name in header["changedFields"]:
                event[name] = record.get(name)
        return event

    # -- writes from AppFlow ---------------------------------------------------------------------
    def write(
        self, object_name: str, operation: str, record: dict[str, Any], id_fields: list[str]
    ) -> tuple[str | None, str | None]:
        """Insert, update, upsert or delete one record: (id, None) or (None, error message)."""
        try:
            if operation == "INSERT":
                return self.create(object_name, record)["Id"], None
            key = id_fields[0] if id_fields else "Id"
            value = record.get(key)
            fields = {k: v for k, v in record.items() if k != "Id"}
            if operation == "DELETE":
                self.delete(object_name, str(value))
                return str(value), None
            if key == "Id":
                if value in self.table(object_name).records:
                    return self.update(object_name, str(value), fields)["Id"], None
                if operation == "UPDATE":
                    return None, f"NOT_FOUND: {object_name} {value} does not exist"
                return self.create(object_name, fields)["Id"], None
            found = next(
                (r for r in self.table(object_name).records.values() if r.get(key) == value), None
            )
            if found is not None:
                return self.update(object_name, found["Id"], fields)["Id"], None
            if operation == "UPDATE":
                return None, f"NOT_FOUND: no {object_name} with {key} = {value}"
            return self.create(object_name, record)["Id"], None
        except SaasError as error:
            return None, f"FIELD_INTEGRITY_EXCEPTION: {error}"

    # -- the REST API -----------------------------------------------------------------------------
    def unauthorized(self) -> Reply:
        return Reply(
            401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        )

    def rate_limited(self) -> Reply:
        return Reply(
            403,
            [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        )

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        parts = [p for p in path.split("/") if p]
        if parts[:2] != ["services", "data"] or len(parts) < 3:
            return _error(404, "NOT_FOUND", "The requested resource does not exist")
        rest = parts[3:]
        try:
            if rest[:1] == ["query"] and method == "GET":
                if len(rest) == 2:
                    return self._next_page(rest[1])
                return self._query(query.get("q", ""))
            if rest[:1] == ["sobjects"]:
                return self._sobjects(method, rest[1:], body)
        except SaasError as error:
            text = str(error)
            code = text.split(":", 1)[0] if text[:1].isupper() and ":" in text else "INVALID_FIELD"
            return _error(400, code, text.split(": ", 1)[-1] if code != "INVALID_FIELD" else text)
        return _error(404, "NOT_FOUND", "The requested resource does not exist")

    def _sobjects(self, method: str, rest: list[str], body: Any) -> Reply:
        if not rest:
            return Reply(
                200,
                {
                    "encoding": "UTF-8",
                    "maxBatchSize": 200,
                    "sobjects": [
                        {"name": t.spec.name, "label": t.spec.label, "keyPrefix": KEY_PREFIX[n]}
                        for n, t in self.tables.items()
                    ],
                },
            )
        name = rest[0]
        if name not in self.tables:
            return _error(404, "NOT_FOUND", f"The requested resource does not exist: {name}")
        table = self.tables[name]
        if len(rest) == 2 and rest[1] == "describe":
            return Reply(200, self.describe(table))
        if len(rest) == 1 and method == "POST":
            if not isinstance(body, dict):
                return _error(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
            record = self.create(name, body)
            return Reply(201, {"id": record["Id"], "success": True, "errors": []})
        if len(rest) == 2:
            record = table.records.get(rest[1])
            if record is None:
                return _error(404, "NOT_FOUND", "The requested resource does not exist")
            if method == "GET":
                return Reply(200, self._with_attributes(name, record))
            if method == "PATCH":
                if not isinstance(body, dict):
                    return _error(
                        400, "JSON_PARSER_ERROR", "The request body must be a JSON object"
                    )
                self.update(name, rest[1], body)
                return Reply(204)
            if method == "DELETE":
                self.delete(name, rest[1])
                return Reply(204)
        return _error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed")

    def describe(self, table: Table) -> dict[str, Any]:
        """The sObject describe result (fields with their types and picklist values)."""
        return {
            "name": table.spec.name,
            "label": table.spec.label,
            "keyPrefix": KEY_PREFIX[table.spec.name],
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "type": f.type,
                    "nillable": f.nullable,
                    "createable": f.writable,
                    "updateable": f.writable,
                    "picklistValues": [{"value": v, "label": v, "active": True} for v in f.values],
                }
                for f in table.spec.fields
            ],
        }

    def _with_attributes(self, name: str, record: dict) -> dict:
        url = f"/services/data/{API_VERSION}/sobjects/{name}/{record['Id']}"
        return {"attributes": {"type": name, "url": url}, **record}

    def _query(self, soql: str) -> Reply:
        match = _SOQL.match(soql)
        if match is None:
            return _error(400, "MALFORMED_QUERY", f"unexpected token in query: {soql[:80]}")
        table = self.table(match["object"])
        fields = [f.strip() for f in match["fields"].split(",")]
        for name in fields:
            if table.spec.field(name) is None:
                return _error(
                    400, "INVALID_FIELD", f"No such column '{name}' on entity '{table.spec.name}'"
                )
        records = list(table.records.values())
        if match["where"]:
            for condition in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE):
                records = self._filter(table, condition, records)
        if match["order"]:
            key = match["order"]
            if table.spec.field(key) is None:
                return _error(400, "INVALID_FIELD", f"No such column '{key}'")
            records.sort(
                key=lambda r: (r.get(key) is None, r.get(key) or 0),
                reverse=(match["dir"] or "").upper() == "DESC",
            )
        if match["limit"]:
            records = records[: int(match["limit"])]
        rows = [
            self._with_attributes(table.spec.name, {"Id": r["Id"]}) | {f: r.get(f) for f in fields}
            for r in records
        ]
        return Reply(200, self._page(rows, 0))

    def _filter(self, table: Table, condition: str, records: list[dict]) -> list[dict]:
        match = _CONDITION.match(condition)
        if match is None:
            raise SaasError(f"MALFORMED_QUERY: unexpected condition: {condition.strip()[:80]}")
        name, op, literal = match[1], match[2].upper(), match[3]
        spec = table.spec.field(name)
        if spec is None:
            raise SaasError(f"INVALID_FIELD: No such column '{name}' on entity '{table.spec.name}'")
        if literal.startswith("'"):
            value: Any = literal[1:-1].replace("\\'", "'")
        elif literal.lower() in ("true", "false"):
            value = literal.lower() == "true"
        elif literal.lower() == "null":
            value = None
        else:
            value = literal
        convert: Any = None
        if spec.type == "datetime":
            convert = parse_sf_time
        elif spec.type in ("int", "double", "currency", "percent"):
            convert = float
        if convert is not None and value is not None:
            try:
                value = convert(str(value))
            except (ValueError, SaasError):
                raise SaasError(
                    f"INVALID_FIELD: value of filter criterion for field '{name}' "
                    f"must be of type {spec.type}"
                ) from None
        if op == "LIKE":
            pattern = re.compile(
                "^" + re.escape(str(value)).replace("%", ".*").replace("_", ".") + "$", re.I
            )
            return [r for r in records if r.get(name) is not None and pattern.match(str(r[name]))]
        compare = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<>": lambda a, b: a != b,
            "<": lambda a, b: a is not None and b is not None and a < b,
            ">": lambda a, b: a is not None and b is not None and a > b,
            "<=": lambda a, b: a is not None and b is not None and a <= b,
            ">=": lambda a, b: a is not None and b is not None and a >= b,
        }[op]
        picked = []
        for record in records:
            have = record.get(name)
            if convert is not None and have is not None:
                have = convert(str(have))
            if compare(have, value):
                picked.append(record)
        return picked

    def _page(self, rows: list[dict], offset: int) -> dict[str, Any]:
        end = offset + QUERY_BATCH
        result: dict[str, Any] = {
            "totalSize": len(rows),
            "done": end >= len(rows),
            "records": rows[offset:end],
        }
        if end < len(rows):
            locator = "01g" + salesforce_id("Dn", self.next_number("cursor"))[5:15]
            self.cursors[locator] = (rows, end)
            while len(self.cursors) > MAX_CURSORS:
                self.cursors.pop(next(iter(self.cursors)))
            result["nextRecordsUrl"] = f"/services/data/{API_VERSION}/query/{locator}-{end}"
        return result

    def _next_page(self, token: str) -> Reply:
        locator = token.rsplit("-", 1)[0]
        cursor = self.cursors.pop(locator, None)
        if cursor is None:
            return _error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return Reply(200, self._page(*cursor))


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, [{"message": message, "errorCode": code}])
