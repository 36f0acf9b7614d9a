package dev.gatehouse.controlplane.cli;

import dev.gatehouse.posture.MeshPosture;
import dev.gatehouse.posture.UnknownWorkload;
import dev.gatehouse.posture.analyze.Analysis;
import dev.gatehouse.posture.analyze.Analyzer;
import dev.gatehouse.posture.describe.Describer;
import dev.gatehouse.posture.describe.WorkloadDescription;
import dev.gatehouse.posture.explain.ExplainRequest;
import dev.gatehouse.posture.explain.Explainer;
import dev.gatehouse.posture.explain.Explanation;
import dev.gatehouse.posture.report.PostureReport;
import dev.gatehouse.posture.report.PostureReports;

/** Answers from a {@link MeshPosture} built in this process (the CLI on manifests or a cluster, the /debug endpoints). */
public record LocalPosture(MeshPosture mesh) implements PostureSource {
  @Override
  public WorkloadDescription describe(String pod) {
    return Describer.describe(mesh, mesh.workload(pod).orElseThrow(() -> new UnknownWorkload(pod)));
  }

  @Override
  public Explanation explain(ExplainRequest request) {
    return Explainer.explain(mesh, request);
  }

  @Override
  public Analysis analyze() {
    return Analyzer.analyze(mesh);
  }

  @Override
  public PostureReport posture() {
    return PostureReports.of(mesh, analyze());
  }
}
