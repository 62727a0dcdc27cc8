"""The CI build is part of a version's lineage: the portal's version timeline links to it (lineage.ci_build_url)."""

from pipelines.${{ values.packageName }} import lineage, settings


def test_a_github_actions_run_is_recorded_as_its_page(monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/churn-model")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    url = "https://github.example.com/acme/churn-model/actions/runs/4242"
    assert lineage.ci_build_url() == url
    assert lineage.run_tags("arn:execution", "s3://data")[settings.TAG_CI_BUILD_URL] == url
    assert lineage.ci_environment()["CI_BUILD_URL"] == url


def test_a_codebuild_build_is_recorded_as_its_console_page(monkeypatch):
    monkeypatch.setenv("CODEBUILD_BUILD_ARN", "arn:aws:codebuild:eu-west-1:123456789012:build/churn-build:1a2b-3c")
    assert lineage.ci_build_url() == (
        "https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/churn-build"
        "/build/churn-build%3A1a2b-3c/?region=eu-west-1"
    )


def test_a_step_job_records_the_build_ci_passed_it_and_the_package_carries_it(monkeypatch):
    monkeypatch.setenv("CI_BUILD_URL", "https://ci.example.com/builds/7")
    tags = lineage.run_tags("arn:execution", "s3://data")
    assert lineage.package_metadata(tags)[settings.TAG_CI_BUILD_URL] == "https://ci.example.com/builds/7"


def test_outside_ci_no_build_is_made_up():
    assert lineage.ci_build_url() == ""
    assert settings.TAG_CI_BUILD_URL not in lineage.run_tags("arn:execution", "s3://data")
