"""Stack config: read once, validated, with messages that name the key, the stack file and what is allowed."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel

from ops.engineless.program import run_program
from stackconfig import ConfigError, StackConfig, validate_config
from stackconfig.loader import declared_keys
from stackconfig.paths import PROJECT_ROOT


@pytest.mark.parametrize("stack", ["local", "staging", "prod", "dev", "preview"])
def test_every_stack_file_sets_only_declared_keys_of_this_project(stack):
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    ours = {key.split(":", 1)[1] for key in document["config"] if key.startswith("ai-platform:")}
    assert ours <= set(declared_keys()), ours - set(declared_keys())


def test_every_model_field_is_declared_in_pulumi_yaml_with_description_and_default():
    declared = declared_keys()
    fields = {field.alias or name for name, field in StackConfig.model_fields.items()}
    assert fields == set(declared), fields ^ set(declared)
    for key, spec in declared.items():
        assert spec.get("description"), f"{key} has no description in Pulumi.yaml"
        # The engine refuses a stack that sets no value for a key without a default ("missing configuration").
        assert "default" in spec, f"{key} has no default in Pulumi.yaml"


# What the Pulumi CLI accepts in a project's `config` block (its project schema and Project.Validate): a typed
# entry's default must be of that type, an array names its items, default and value never both.
CLI_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}
CLI_ENTRY_KEYS = {"type", "items", "description", "secret", "default", "value"}


def test_pulumi_yaml_config_block_is_one_the_pulumi_cli_accepts():
    for key, spec in declared_keys().items():
        assert set(spec) <= CLI_ENTRY_KEYS, f"{key}: the CLI refuses attributes {set(spec) - CLI_ENTRY_KEYS}"
        assert not ("default" in spec and "value" in spec), key
        if "type" not in spec:
            continue  # untyped: any default, passed to the program as a JSON object or string
        assert spec["type"] in CLI_TYPES, f"{key}: type {spec['type']!r} is not one the CLI knows"
        if spec["type"] == "array":
            assert "items" in spec, f"{key}: an array must name its items' type"
        if spec.get("default") is not None:
            assert isinstance(spec["default"], CLI_TYPES[spec["type"]]), f"{key}: default is not a {spec['type']}"


def test_defaults_documented_in_pulumi_yaml_match_the_models_own_defaults():
    for name, field in StackConfig.model_fields.items():
        key = field.alias or name
        default = declared_keys()[key].get("default")
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel) and isinstance(default, dict):
            assert model().model_dump(by_alias=True, mode="json") == model.model_validate(default).model_dump(
                by_alias=True, mode="json"
            ), f"{key}: Pulumi.yaml default differs from the model's"


def test_unknown_key_names_it_the_stack_file_and_the_known_keys():
    with pytest.raises(ConfigError) as error:
        validate_config({"enviroment": "local"}, stack_file="Pulumi.staging.yaml")
    message = str(error.value)
    assert "enviroment: unknown key" in message and "Pulumi.staging.yaml" in message and "environment" in message


def test_unknown_nested_key_lists_what_is_allowed_there():
    with pytest.raises(
        ConfigError, match=r"database\.lockTimeout: unknown key; the keys allowed here are: .*lockTimeoutSeconds"
    ):
        validate_config({"database": {"lockTimeout": 5}}, stack_file="Pulumi.local.yaml")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"database": {"lockTimeoutSeconds": 601}},
            "database.lockTimeoutSeconds: Input should be less than or equal to 600",
        ),
        ({"database": {"lockTimeoutSeconds": "soon"}}, "database.lockTimeoutSeconds: Input should be a valid integer"),
        (
            {"environment": "dev"},
            "environment: Input should be 'local', 'development', 'preview', 'staging' or 'production'",
        ),
        ({"appVersion": "v1"}, "appVersion: String should match pattern"),
        (
            {"database": {"acceptChangedVersions": ["2025"]}},
            "database.acceptChangedVersions.0: String should match pattern",
        ),
    ],
)
def test_wrong_type_or_out_of_range_value_is_named(raw, expected):
    with pytest.raises(ConfigError) as error:
        validate_config(raw, stack_file="Pulumi.prod.yaml")
    assert expected in str(error.value)


def test_bad_config_stops_the_program_before_any_resource_is_registered():
    with pytest.raises(ConfigError):
        run_program("local", {"database": {"lockTimeoutSeconds": 0}})


def test_config_error_never_echoes_the_value():
    with pytest.raises(ConfigError) as error:
        validate_config({"database": {"localUrl": {"password": "hunter2-secret"}}}, stack_file="Pulumi.local.yaml")
    assert "hunter2-secret" not in str(error.value)


def test_example_values_left_in_a_stack_file_are_named_in_a_warning():
    from ops.engineless.program import run_program
    from tests.aws.aws_mocks import WholeProgramMocks

    [warning] = [w for w in run_program("prod", mocks=WholeProgramMocks()).warnings if "example values" in w]
    for key in ("supabase.organizationSlug", "dns.zoneName", "alerts.emails[0]", "ciIdentity.githubRepository"):
        assert key in warning
    clean = run_program("local").warnings
    assert not [w for w in clean if "example values" in w]


def test_placeholders_are_found_only_as_whole_names():
    from stackconfig.placeholders import placeholder_keys

    found = placeholder_keys(
        {
            "a": "https://app.example.com/x",
            "b": ["ops@example.org"],
            "c": "myexample.com",
            "d": {"e": "example-organisation"},
            "f": "example-org/repo",
        }
    )
    assert found == ["a", "b[0]", "f"]


def test_a_local_database_url_is_refused_beside_a_supabase_project():
    # Both would build a Database("platform-db"): refused before anything is created, naming both keys.
    config = {
        "supabase": {"organizationSlug": "example-org", "projectName": "ai-platform-staging"},
        "database": {"localUrl": "postgresql://postgres@127.0.0.1:54322/postgres"},
    }
    with pytest.raises(ConfigError) as raised:
        validate_config(config, stack_file="Pulumi.staging.yaml")
    message = str(raised.value)
    assert "database.localUrl" in message and "supabase.organizationSlug" in message
    assert "Pulumi.staging.yaml" in message
    validate_config({"database": config["database"]}, stack_file="Pulumi.local.yaml")  # the local stack's way
    validate_config({"supabase": config["supabase"]}, stack_file="Pulumi.staging.yaml")  # staging's way
