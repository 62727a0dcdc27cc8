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
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return tests - failed - skipped, failed


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    passed, failed = {"jest": jest, "junit": junit}[kind](path)
    if passed + failed == 0:
        sys.exit(f"{path}: no test ran")
    print(passed, failed)
