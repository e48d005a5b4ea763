"""One CLI: every subcommand answers --help, and a mistyped command lists them all."""

import pytest

from empathy_gym.cli import ALL_COMMANDS, HYDRA_COMMANDS, main


def test_there_are_twelve_or_more_commands_and_each_is_unique():
    assert len(ALL_COMMANDS) == len(set(ALL_COMMANDS)) >= 12


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_every_subcommand_prints_its_usage_on_help(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"empathy-gym {command}" in out
    assert "usage:" in out


@pytest.mark.parametrize("command", HYDRA_COMMANDS)
def test_hydra_commands_list_config_groups_and_their_options(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "config groups" in out
    for group_line in ("target", "persona_set", "simulator", "policy", "rollout"):
        assert f"  {group_line} " in out
    assert "genuine" in out and "comfort" in out  # the target group's options
    assert "env.max_turns=10" in out  # keys with their defaults


def test_a_mistyped_command_names_the_close_one_and_lists_every_command(capsys):
    assert main(["evaluat"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'evaluate'" in err
    for command in ALL_COMMANDS:
        assert command in err


def test_top_level_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ALL_COMMANDS:
        assert command in out


def test_dynamics_prints_every_parameter_with_meaning_and_source(capsys):
    from empathy_gym.simulator.params import DynamicsParams

    assert main(["dynamics"]) == 0
    out = capsys.readouterr().out
    for name in DynamicsParams.names():
        assert f"  {name} " in out
    assert main(["dynamics", "--set", "trust_gain=0.25"]) == 0
    assert any(
        line.split()[:2] == ["trust_gain", "0.25"] for line in capsys.readouterr().out.splitlines()
    )


def test_dynamics_names_an_unknown_parameter_and_suggests_the_close_one(capsys):
    assert main(["dynamics", "--set", "trust_gian=0.1"]) == 2
    err = capsys.readouterr().err
    assert "trust_gian" in err and "did you mean trust_gain" in err


def test_the_library_owns_no_command_line_only_the_cli_layer_parses_flags():
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "empathy_gym"
    offenders = []
    for path in package.rglob("*.py"):
        if "cli" in path.relative_to(package).parts[:1] or path.parts[-2] == "testing":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and any(a.name == "argparse" for a in node.names):
                offenders.append(f"{path.relative_to(package)} imports argparse")
            if isinstance(node, ast.FunctionDef) and node.name in ("main", "cli_main", "fit_cli"):
                offenders.append(f"{path.relative_to(package)} defines {node.name}()")
    assert offenders == []


def test_ctrl_c_anywhere_in_a_command_is_one_line_and_exit_130(monkeypatch, capsys):
    import empathy_gym.cli as cli

    def interrupted(overrides):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "load_config", interrupted)
    assert main(["evaluate", "seeds=1"]) == 130
    assert capsys.readouterr().err.strip() == "empathy-gym evaluate: interrupted"
