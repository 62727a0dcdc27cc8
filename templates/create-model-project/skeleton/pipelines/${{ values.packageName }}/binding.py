"""The two-way binding with the portal: a resource this project creates names its catalog entity back.

The component's annotations only name the pipeline, model package group, endpoint and MLflow model; the portal
changes one of them only when the resource carries the tag BINDING_TAG whose value is the component's ref
(settings.ENTITY_REF). The template binds what it creates (experiment, registered model, model package group);
this project binds what it creates (pipeline, endpoint) and refuses to change one bound to another entity, so a
name clash with another project fails instead of taking that project's resource over.
"""

from . import settings


class BindingError(Exception):
    """The resource is bound to another catalog entity."""


def binding_tag() -> dict[str, str]:
    return {"Key": settings.BINDING_TAG, "Value": settings.ENTITY_REF}


def bound_entities(sagemaker, arn: str) -> set[str]:
    """The entity refs the resource's binding tag names; empty when it is unbound."""
    return {
        tag["Value"]
        for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn)
        for tag in page["Tags"]
        if tag["Key"] == settings.BINDING_TAG
    }


def check_binding(sagemaker, arn: str) -> bool:
    """True when the resource is bound to this project's entity, False when unbound; raises when bound elsewhere."""
    # Entity refs compare without case, as the catalog compares them.
    bound = {ref.lower() for ref in bound_entities(sagemaker, arn)}
    others = bound - {settings.ENTITY_REF.lower()}
    if others:
        raise BindingError(
            f"{arn} is bound to {', '.join(sorted(others))} (tag {settings.BINDING_TAG}), not to "
            f"{settings.ENTITY_REF}: refusing to change it"
        )
    return settings.ENTITY_REF.lower() in bound


def bind(sagemaker, arn: str) -> None:
    """Binds an unbound resource to this project's entity; refuses one bound elsewhere.

    Tags only when the tag is missing: AWS overwrites a key on AddTags, but the emulator (moto) appends a second
    tag of the same key, which a reader could not tell apart from a conflicting binding.
    """
    if not check_binding(sagemaker, arn):
        sagemaker.add_tags(ResourceArn=arn, Tags=[binding_tag()])
