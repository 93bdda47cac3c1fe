# Release artefacts (make images) into $(BUILD)/images/.
