"""Prints "PASSED FAILED" for one test report: jest's --json output or a JUnit XML file (pytest).

Exits non-zero when the report is missing or ran no test, so a layer that silently ran nothing counts as failed.
"""
import json
import sys
import xml.etree.ElementTree as ET


def jest(path):
    report = json.load(open(path))
    # A suite that fails to load has no tests but is a failure all the same.
    broken = sum(1 for s in report["testResults"] if s["status"] == "failed" and not s["assertionResults"])
    return report["numPassedTests"], report["numFailedTests"] + broken


def junit(path):
    # Count the test cases themselves: pytest and node's test runner nest suites differently.
    cases = list(ET.parse(path).getroot().iter("testcase"))
    failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    return len(cases) - failed - skipped, failed


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    passed, failed = {"jest": jest, "junit": junit}[kind](path)
    if passed + failed == 0:
        sys.exit(f"{path}: no test ran")
    print(passed, failed)
