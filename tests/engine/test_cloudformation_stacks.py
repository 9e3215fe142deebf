"""CloudFormation stacks: lifecycle, events, rollback, updates and replacement, change sets, exports."""

from __future__ import annotations

import json

import pytest

from engine import Engine, ServiceError, VirtualClock

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_lint(eng: Engine) -> None:
    eng.settings["cloudformation.lint"] = "off"


def _template(**resources: dict) -> str:
    return json.dumps({"Resources": resources})


async def _create(eng: Engine, name: str, body: str, **extra: object) -> dict:
    cfn = eng.client("cloudformation")
    await cfn.create_stack(StackName=name, TemplateBody=body, **extra)
    await eng.service("cloudformation").wait(name)
    return (await cfn.describe_stacks(StackName=name))["Stacks"][0]


def _statuses(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]


QUEUES = _template(
    Dlq={"Type": "AWS::SQS::Queue"},
    Work={
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "VisibilityTimeout": 20,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                "maxReceiveCount": 3,
            },
        },
    },
)


async def test_create_runs_in_dependency_order_with_aws_events(eng: Engine) -> None:
    stack = await _create(eng, "orders", QUEUES)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    events = (await eng.client("cloudformation").describe_stack_events(StackName="orders"))[
        "StackEvents"
    ]
    assert _statuses(events) == [
        ("orders", "CREATE_IN_PROGRESS"),
        ("Dlq", "CREATE_IN_PROGRESS"),
        ("Dlq", "CREATE_IN_PROGRESS"),
        ("Dlq", "CREATE_COMPLETE"),
        ("Work", "CREATE_IN_PROGRESS"),
        ("Work", "CREATE_IN_PROGRESS"),
        ("Work", "CREATE_COMPLETE"),
        ("orders", "CREATE_COMPLETE"),
    ]
    assert events[-1]["ResourceStatusReason"] == "User Initiated"
    assert events[-3]["ResourceStatusReason"] == "Resource creation Initiated"
    resources = (await eng.client("cloudformation").describe_stack_resources(StackName="orders"))[
        "StackResources"
    ]
    work = next(r for r in resources if r["LogicalResourceId"] == "Work")
    assert work["PhysicalResourceId"].startswith(
        "https://sqs.us-east-1.amazonaws.com/123456789012/orders-Work-"
    )
    attributes = (
        await eng.client("sqs").get_queue_attributes(
            QueueUrl=work["PhysicalResourceId"], AttributeNames=["All"]
        )
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "20"
    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"].endswith(
        ":orders-Dlq-" + attributes["RedrivePolicy"].split("orders-Dlq-")[1][:13]
    )


async def test_independent_resources_are_created_concurrently(
    eng: Engine, clock: VirtualClock
) -> None:
    eng.settings["dynamodb.status_delay"] = 5
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        },
    }
    start = clock.now()
    await eng.client("cloudformation").create_stack(
        StackName="t", TemplateBody=_template(A=table, B=table, C=table)
    )
    stack = await clock.run(eng.service("cloudformation").wait("t"))
    assert stack.status == "CREATE_COMPLETE"
    # Three tables that each take 5 s to become ACTIVE: together, not one after another.
    assert clock.now() - start < 10


async def test_failure_rolls_back_everything_it_created(eng: Engine) -> None:
    body = _template(
        Good={"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "good"}},
        Bad={
            "Type": "AWS::SQS::Queue",
            "DependsOn": "Good",
            "Properties": {"QueueName": "bad", "VisibilityTimeout": 99999},
        },
    )
    stack = await _create(eng, "broken", body)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = (await eng.client("cloudformation").describe_stack_events(StackName="broken"))[
        "StackEvents"
    ]
    rollback = next(e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [Bad]. Rollback requested by user."
    )
    failed = next(e for e in events if e["ResourceStatus"] == "CREATE_FAILED")
    assert failed["ResourceStatusReason"].startswith("Resource handler returned message:")
    assert ("Good", "DELETE_COMPLETE") in _statuses(events)
    assert "QueueUrls" not in await eng.client("sqs").list_queues()
    with pytest.raises(ServiceError) as error:
        await eng.client("cloudformation").update_stack(StackName="broken", TemplateBody=body)
    assert "is in ROLLBACK_COMPLETE state and can not be updated" in error.value.message


async def test_update_modifies_in_place_or_replaces_per_create_only_properties(eng: Engine) -> None:
    await _create(eng, "u", QUEUES)
    cfn = eng.client("cloudformation")
    before = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in (await cfn.list_stack_resources(StackName="u"))["StackResourceSummaries"]
    }
    changed = json.loads(QUEUES)
    changed["Resources"]["Work"]["Properties"]["VisibilityTimeout"] = 60
    changed["Resources"]["Dlq"]["Properties"] = {"QueueName": "dead-letters"}
    await cfn.update_stack(StackName="u", TemplateBody=json.dumps(changed))
    stack = await eng.service("cloudformation").wait("u")
    assert stack.status == "UPDATE_COMPLETE"
    after = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in (await cfn.list_stack_resources(StackName="u"))["StackResourceSummaries"]
    }
    assert after["Dlq"].endswith("/dead-letters")  # QueueName: replaced
    assert after["Work"] == before["Work"]  # VisibilityTimeout: updated in place
    urls = (await eng.client("sqs").list_queues())["QueueUrls"]
    assert before["Dlq"] not in urls  # the old physical resource went in cleanup
    events = _statuses((await cfn.describe_stack_events(StackName="u"))["StackEvents"])
    assert ("u", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") in events
    with pytest.raises(ServiceError) as error:
        await cfn.update_stack(StackName="u", TemplateBody=json.dumps(changed))
    assert error.value.message == "No updates are to be performed."


async def test_custom_named_resource_that_needs_replacing_fails_and_rolls_back(eng: Engine) -> None:
    body = _template(
        Q={"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "named", "DelaySeconds": 1}}
    )
    await _create(eng, "n", body)
    cfn = eng.client("cloudformation")
    changed = _template(
        Q={
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": "named", "DelaySeconds": 2, "MaximumMessageSize": 99999999},
        }
    )
    await cfn.update_stack(StackName="n", TemplateBody=changed)
    stack = await eng.service("cloudformation").wait("n")
    assert stack.status == "UPDATE_ROLLBACK_COMPLETE"
    url = (await eng.client("sqs").get_queue_url(QueueName="named"))["QueueUrl"]
    attributes = (
        await eng.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])
    )["Attributes"]
    assert attributes["DelaySeconds"] == "1"


async def test_change_sets_report_action_replacement_scope_and_details(eng: Engine) -> None:
    cfn = eng.client("cloudformation")
    created = await cfn.create_change_set(
        StackName="cs", ChangeSetName="one", ChangeSetType="CREATE", TemplateBody=QUEUES
    )
    stack = (await cfn.describe_stacks(StackName="cs"))["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    described = await cfn.describe_change_set(ChangeSetName=created["Id"])
    assert described["Status"] == "CREATE_COMPLETE" and described["ExecutionStatus"] == "AVAILABLE"
    assert sorted(
        (c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"])
        for c in described["Changes"]
    ) == [("Add", "Dlq"), ("Add", "Work")]
    await cfn.execute_change_set(ChangeSetName="one", StackName="cs")
    await eng.service("cloudformation").wait("cs")
    changed = json.loads(QUEUES)
    changed["Resources"]["Work"]["Properties"]["VisibilityTimeout"] = 30
    changed["Resources"]["Dlq"]["Properties"] = {"QueueName": "renamed-dlq"}
    del changed["Resources"]["Work"]["Properties"]["RedrivePolicy"]
    changed["Resources"]["Extra"] = {"Type": "AWS::SNS::Topic"}
    await cfn.create_change_set(
        StackName="cs", ChangeSetName="two", TemplateBody=json.dumps(changed)
    )
    described = await cfn.describe_change_set(ChangeSetName="two", StackName="cs")
    changes = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]
    }
    assert changes["Extra"]["Action"] == "Add"
    assert changes["Dlq"]["Action"] == "Modify" and changes["Dlq"]["Replacement"] == "True"
    assert changes["Dlq"]["Details"][0]["Target"] == {
        "Attribute": "Properties",
        "Name": "QueueName",
        "RequiresRecreation": "Always",
    }
    work = changes["Work"]
    assert work["Replacement"] == "False" and work["Scope"] == ["Properties"]
    assert {d["Target"]["Name"] for d in work["Details"]} == {"VisibilityTimeout", "RedrivePolicy"}
    assert all(
        d["ChangeSource"] == "DirectModification" and d["Evaluation"] == "Static"
        for d in work["Details"]
    )
    await cfn.execute_change_set(ChangeSetName="two", StackName="cs")
    stack = await eng.service("cloudformation").wait("cs")
    assert stack.status == "UPDATE_COMPLETE"
    await cfn.create_change_set(
        StackName="cs", ChangeSetName="same", TemplateBody=json.dumps(changed)
    )
    same = await cfn.describe_change_set(ChangeSetName="same", StackName="cs")
    assert same["Status"] == "FAILED"
    assert same["StatusReason"].startswith("The submitted information didn't contain changes.")


async def test_exports_imports_and_deleting_an_export_in_use(eng: Engine) -> None:
    producer = json.dumps(
        {
            "Resources": {"T": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {"TopicArn": {"Value": {"Ref": "T"}, "Export": {"Name": "shared-topic"}}},
        }
    )
    await _create(eng, "producer", producer)
    consumer = _template(
        S={
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Fn::ImportValue": "shared-topic"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": ["Q", "Arn"]},
            },
        },
        Q={"Type": "AWS::SQS::Queue"},
    )
    assert (await _create(eng, "consumer", consumer))["StackStatus"] == "CREATE_COMPLETE"
    cfn = eng.client("cloudformation")
    exports = (await cfn.list_exports())["Exports"]
    assert [e["Name"] for e in exports] == ["shared-topic"]
    assert (await cfn.list_imports(ExportName="shared-topic"))["Imports"] == ["consumer"]
    with pytest.raises(ServiceError) as error:
        await cfn.delete_stack(StackName="producer")
    assert "in use by consumer" in error.value.message
    await cfn.delete_stack(StackName="consumer")
    await eng.service("cloudformation").wait("consumer")
    await cfn.delete_stack(StackName="producer")
    await eng.service("cloudformation").wait("producer")
    assert (await cfn.list_exports())["Exports"] == []


async def test_termination_protection_and_deletion_policies(eng: Engine) -> None:
    body = _template(
        Kept={
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Retain",
            "Properties": {"QueueName": "kept"},
        },
        Gone={"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "gone"}},
    )
    await _create(eng, "p", body, EnableTerminationProtection=True)
    cfn = eng.client("cloudformation")
    with pytest.raises(ServiceError) as error:
        await cfn.delete_stack(StackName="p")
    assert "TerminationProtection is enabled" in error.value.message
    await cfn.update_termination_protection(StackName="p", EnableTerminationProtection=False)
    await cfn.delete_stack(StackName="p")
    stack = await eng.service("cloudformation").wait("p")
    assert stack.status == "DELETE_COMPLETE"
    urls = (await eng.client("sqs").list_queues())["QueueUrls"]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["kept"]
    statuses = _statuses((await cfn.describe_stack_events(StackName=stack.stack_id))["StackEvents"])
    assert ("Kept", "DELETE_SKIPPED") in statuses
    with pytest.raises(ServiceError) as error:
        await cfn.describe_stacks(StackName="p")
    assert error.value.message == "Stack with id p does not exist"
    listed = (await cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"]))["StackSummaries"]
    assert [s["StackName"] for s in listed] == ["p"]


async def test_outputs_conditions_and_templates(eng: Engine) -> None:
    body = (
        "Parameters:\n  Env: {Type: String, Default: dev}\n"
        "Conditions:\n  Prod: !Equals [!Ref Env, prod]\n"
        "Resources:\n  T: {Type: AWS::SNS::Topic}\n  P: {Type: AWS::SNS::Topic, Condition: Prod}\n"
        "Outputs:\n  Name: {Value: !GetAtt T.TopicName, Description: the topic}\n"
        "  ProdArn: {Value: !Ref P, Condition: Prod}\n"
    )
    stack = await _create(eng, "o", body)
    assert [o["OutputKey"] for o in stack["Outputs"]] == ["Name"]
    assert stack["Outputs"][0]["OutputValue"].startswith("o-T-")
    cfn = eng.client("cloudformation")
    assert (await cfn.get_template(StackName="o"))["TemplateBody"] == body
    resources = (await cfn.list_stack_resources(StackName="o"))["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in resources] == ["T"]
    await cfn.update_stack(
        StackName="o",
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Env", "ParameterValue": "prod"}],
    )
    await eng.service("cloudformation").wait("o")
    stack = (await cfn.describe_stacks(StackName="o"))["Stacks"][0]
    assert [o["OutputKey"] for o in stack["Outputs"]] == ["Name", "ProdArn"]


async def test_deleting_a_rolled_back_stack_deletes_nothing_twice(eng: Engine) -> None:
    body = _template(
        Good={"Type": "AWS::SQS::Queue"},
        Bad={"Type": "AWS::SQS::Queue", "DependsOn": "Good", "Properties": {"DelaySeconds": 9999}},
    )
    stack = await _create(eng, "twice", body)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    cfn = eng.client("cloudformation")
    await cfn.delete_stack(StackName="twice")
    await eng.service("cloudformation").wait(stack["StackId"])
    events = _statuses((await cfn.describe_stack_events(StackName=stack["StackId"]))["StackEvents"])
    after = events[events.index(("twice", "DELETE_IN_PROGRESS")) :]
    assert after == [("twice", "DELETE_IN_PROGRESS"), ("twice", "DELETE_COMPLETE")]


async def test_replacement_event_names_the_old_physical_resource(eng: Engine) -> None:
    await _create(
        eng, "r", _template(Q={"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "first"}})
    )
    cfn = eng.client("cloudformation")
    await cfn.update_stack(
        StackName="r",
        TemplateBody=_template(
            Q={"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "second"}}
        ),
    )
    await eng.service("cloudformation").wait("r")
    events = list(reversed((await cfn.describe_stack_events(StackName="r"))["StackEvents"]))
    replacing = next(
        e
        for e in events
        if e.get("ResourceStatusReason", "").startswith("Requested update requires")
    )
    assert replacing["PhysicalResourceId"].endswith("/first")
    assert events[-1]["ResourceStatus"] == "UPDATE_COMPLETE"


async def test_property_values_are_json_text_and_change_set_creation_counts_as_an_update(
    eng: Engine,
) -> None:
    cfn = eng.client("cloudformation")
    body = _template(T={"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "one"}})
    created = await cfn.create_change_set(
        StackName="ctx", ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=body
    )
    described = await cfn.describe_change_set(
        ChangeSetName=created["Id"], IncludePropertyValues=True
    )
    change = described["Changes"][0]["ResourceChange"]
    assert json.loads(change["AfterContext"]) == {"Properties": {"DisplayName": "one"}}
    await cfn.execute_change_set(ChangeSetName=created["Id"])
    await eng.service("cloudformation").wait("ctx")
    stack = (await cfn.describe_stacks(StackName="ctx"))["Stacks"][0]
    assert stack["ChangeSetId"] == created["Id"] and "LastUpdatedTime" in stack


async def test_change_sets_follow_attribute_reads_through_a_chain(eng: Engine) -> None:
    def template(value: str) -> str:
        return _template(
            Topic1={"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": value}},
            Topic2={
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": {"Fn::GetAtt": ["Topic1", "DisplayName"]}},
            },
            Topic3={
                "Type": "AWS::SNS::Topic",
                "Properties": {"DisplayName": {"Fn::GetAtt": ["Topic2", "DisplayName"]}},
            },
        )

    await _create(eng, "chain", template("a"))
    cfn = eng.client("cloudformation")
    await cfn.create_change_set(StackName="chain", ChangeSetName="c", TemplateBody=template("b"))
    described = await cfn.describe_change_set(StackName="chain", ChangeSetName="c")
    sources = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]["Details"][0]["ChangeSource"]
        for c in described["Changes"]
    }
    assert sources == {
        "Topic1": "DirectModification",
        "Topic2": "ResourceAttribute",
        "Topic3": "ResourceAttribute",
    }
    await cfn.execute_change_set(StackName="chain", ChangeSetName="c")
    stack = await eng.service("cloudformation").wait("chain")
    assert stack.resources["Topic3"].properties == {"DisplayName": "b"}
