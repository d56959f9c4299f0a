"""微心愿 micro-wish order loop: BPMN, DMN and forms (package data)."""
