# syntax=docker/dockerfile:1
# Gatehouse control plane image: built from source with the Maven wrapper, run on a distroless Java 17 JRE as a
# non-root user. Build:  docker build -t gatehouse:dev .
# DockerfileTest (integration-tests) checks what can be checked without a container engine: the jar copied below is
# the one the build produces, and the entrypoint's arguments bind to the application's properties.

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
# The whole source tree (.dockerignore leaves out target/ and .git): every module the parent POM lists must be there.
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -DskipTests package -pl control-plane -am \
 && cp control-plane/target/gatehouse-control-plane-*-exec.jar /gatehouse.jar

# distroless: no shell, no package manager; the nonroot tag runs as uid/gid 65532.
FROM gcr.io/distroless/java17-debian12:nonroot
COPY --from=build /gatehouse.jar /app/gatehouse.jar
USER 65532:65532
# Size the heap from the container's memory limit (not the node's) and leave room for direct buffers and metaspace;
# exit on OutOfMemoryError so that Kubernetes restarts the pod instead of it limping on.
ENV JAVA_TOOL_OPTIONS="-XX:+UseContainerSupport -XX:MaxRAMPercentage=70 -XX:InitialRAMPercentage=30 -XX:+ExitOnOutOfMemoryError"
# 15010 plaintext xDS, 15012 xDS and CA over TLS, 15014 monitoring (Actuator, /metrics, /debug).
EXPOSE 15010 15012 15014
ENTRYPOINT ["java", "-jar", "/app/gatehouse.jar"]
# The chart's Deployment replaces these arguments with its own (args:); without them the image reads the cluster.
CMD ["--gatehouse.source=kubernetes"]
