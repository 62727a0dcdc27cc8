#!/usr/bin/env bash
# Builds this commit's steps and serving images (Dockerfile), pushes them to ECR tagged with the commit and writes
# their digests to images.env as STEP_IMAGE_URI and INFERENCE_IMAGE_URI (also to $GITHUB_ENV under GitHub Actions).
# run-pipeline then pins the steps and the model packages to these digests: a later push cannot change what this
# commit's pipeline ran or what its packages serve. Needs docker (CodeBuild: privileged mode) and the ECR
# permissions of the CI role.
set -euo pipefail

model=${{ values.name | dump }}
account=${{ values.accountId | dump }}
region=${AWS_REGION:-${{ values.region | dump }}}
sha=${GIT_SHA:-${CODEBUILD_RESOLVED_SOURCE_VERSION:-${GITHUB_SHA:-}}}
if [ -z "$sha" ]; then
  echo "build-images: set GIT_SHA to the commit being built" >&2
  exit 2
fi
registry="$account.dkr.ecr.$region.amazonaws.com"
python_version=$(tr -d '[:space:]' < .python-version)

aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
: > images.env
for target in steps serving; do
  repository="$model-$target"
  # Immutable tags: a commit's image is never replaced under its tag.
  aws ecr describe-repositories --region "$region" --repository-names "$repository" > /dev/null 2>&1 \
    || aws ecr create-repository --region "$region" --repository-name "$repository" \
      --image-tag-mutability IMMUTABLE --image-scanning-configuration scanOnPush=true > /dev/null
  image="$registry/$repository:$sha"
  if ! aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids "imageTag=$sha" \
    > /dev/null 2>&1; then
    docker build --target "$target" --build-arg "PYTHON_VERSION=$python_version" --tag "$image" .
    docker push "$image"
  fi
  digest=$(aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids "imageTag=$sha" \
    --query 'imageDetails[0].imageDigest' --output text)
  variable=$([ "$target" = steps ] && echo STEP_IMAGE_URI || echo INFERENCE_IMAGE_URI)
  echo "$variable=$registry/$repository@$digest" >> images.env
done
echo "GIT_SHA=$sha" >> images.env
if [ -n "${GITHUB_ENV:-}" ]; then
  cat images.env >> "$GITHUB_ENV"
fi
cat images.env
