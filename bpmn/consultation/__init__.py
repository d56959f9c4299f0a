"""请你来商量 consultation and the three-meeting model (三会): BPMN, DMN and forms (package data)."""
