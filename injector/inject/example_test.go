package inject_test

import (
	"fmt"

	"github.com/fig-injector/fig-injector/injector/inject"
)

// A bad annotation becomes the admission denial the pod's author sees.
func ExampleParseRequest() {
	pod := newPod(basic(inject.ModeAnnotation, "sidecar"))
	_, err := inject.ParseRequest(pod)
	fmt.Println(err)
	// Output:
	// fig-injector.io/mode: "sidecar" is not a mode; fix: use native, classic or init-only
}

// Mutate adds the agent as a native sidecar by default, and the shared
// volume to the app.
func ExampleMutate() {
	pod := newPod(basic())
	req, _ := inject.ParseRequest(pod)
	if err := inject.Mutate(pod, req, testSettings()); err != nil {
		fmt.Println(err)
		return
	}
	agent := pod.Spec.InitContainers[0]
	fmt.Println(agent.Name, agent.Args, *agent.RestartPolicy)
	fmt.Println(pod.Spec.Containers[0].VolumeMounts[0].MountPath, pod.Spec.Containers[0].VolumeMounts[0].ReadOnly)
	// Output:
	// fig-injector [agent --mode=sidecar] Always
	// /fig true
}
